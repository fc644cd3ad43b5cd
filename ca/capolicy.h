/*
 * capolicy.h - the CA side of the policy engine (ca/capolicy.c): which
 * policy is in force, and turning its decision for one CSR into TBS
 * parameters.  The `plantca policy` verbs are declared in ca.h.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_CAPOLICY_H
#define PLANTCA_CAPOLICY_H

#include "ca.h"
#include "policy.h"

/* the active policy of a CA home, when present: HOME/policy.conf */
#define CA_POLICY_FILE "policy.conf"
/* a policy set between its file and its audit event (ca_policy_set) */
#define CA_POLICY_STAGED "policy.conf.new"

/* The active policy: HOME/policy.conf, else the built-in default. */
pc_rc ca_policy_active(const char *home, policy **out, pc_err *e) PC_CHECK;

/* A policy set cut short (HOME/policy.conf.new left): with the lock,
 * switched in when its hash is the one the last policy.set event recorded
 * (META policy.sha256), else removed; without it, only said.  Run by
 * ca_open. */
pc_rc ca_policy_recover(ca_ctx *c, bool locked, pc_err *e) PC_CHECK;

/* Describe a parsed CSR to the policy, decide, and fill the TBS fields the
 * decision governs (subject rebuilt into `subject`, which must outlive t;
 * KU, EKU, SANs, leaf basicConstraints).  *days gets the decided validity.
 * fw_signer: the "CSR" describes a key that `firmware signer new` made in
 * the token (policy_request.fw_signer); false for every real request. */
pc_rc ca_policy_apply(const policy *pol, const pkix_csr *csr, const char *profile,
    const char *ca_name, const char *segment, const char *station, unsigned days,
    bool fw_signer, const char *what, pkix_tbs_params *t, pc_buf *subject, unsigned *days_out,
    const char *eku[POLICY_EKU_MAX + 1], pc_err *e) PC_CHECK;

#endif
