// What `loom --version` tells about the build: the commit it was built from (Package.swift passes
// LOOM_COMMIT from the environment, as the Makefile sets it; "unknown" otherwise).
const char *loom_build_commit(void);
