// C shims for libpng and libjpeg: their error handlers longjmp, which must never cross Swift frames.
// Every entry point here catches those errors in C and returns a status plus a message instead.
#pragma once
