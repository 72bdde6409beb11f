#include "CLoomImage.h"
