#include "CLoomBuildInfo.h"

#ifndef LOOM_COMMIT
#define LOOM_COMMIT "unknown"
#endif

const char *loom_build_commit(void) { return LOOM_COMMIT; }
