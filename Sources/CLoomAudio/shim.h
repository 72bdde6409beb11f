// libsndfile decodes WAV/FLAC/OGG/Opus/MP3; libsoxr resamples to the models' rate.
#include <sndfile.h>
#include <soxr.h>
