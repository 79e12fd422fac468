// CHiredis: exposes Debian's libhiredis (libhiredis-dev) to Swift; only GatehouseRedis imports it.
#ifndef GATEHOUSE_CHIREDIS_SHIM_H
#define GATEHOUSE_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
