/*
 * fault.h - named fault points for the durability tests (test builds only).
 *
 * A durable step (a file write, fsync, rename, a directory switch) calls
 * PC_FAULT("name", e) just before it acts.  In a build configured with
 * -Dfault_points=true, the environment variable
 *
 *     PLANTCA_FAULT=NAME:N:kill     the Nth time NAME is reached, SIGKILL self
 *     PLANTCA_FAULT=NAME:N:eio      ... fail as if the call gave EIO
 *     PLANTCA_FAULT=NAME:N:enospc   ... fail as if the call gave ENOSPC
 *     PLANTCA_FAULT=NAME:N:stop     ... stop (SIGSTOP self), then go on as
 *                                   usual after SIGCONT (a test changes
 *                                   the world in between: a race, made
 *                                   deterministic)
 *
 * picks one point, and PLANTCA_FAULT_LOG=FILE appends the name of every
 * point reached, one per line (a test lists the points of a command, then
 * hits each in turn).  In the product build (the default) PC_FAULT is the
 * constant PC_OK and no code or environment lookup exists.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_FAULT_H
#define PLANTCA_FAULT_H

#include "pc.h"

#ifdef PC_FAULT_POINTS
pc_rc pc_fault(const char *name, const char *what, pc_err *e) PC_CHECK;
#define PC_FAULT(name, what, e) pc_fault((name), (what), (e))
#else
#define PC_FAULT(name, what, e) ((void)(what), PC_OK)
#endif

#endif
