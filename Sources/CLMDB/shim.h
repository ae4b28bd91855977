#ifndef LMDS_CLMDB_SHIM_H
#define LMDS_CLMDB_SHIM_H
#include <lmdb.h>
#endif
