/* The loopback HTTP helpers of tests/server, built into this suite too. */
#include "server/helper_http.c"
