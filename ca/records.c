/*
 * records.c - the record tables of records.h, instantiated once.
 */
#define CA_RECORDS_TABLES
#include "records.h"

const pc_rec_type *const ca_rec_types[CA_REC_NTYPES] = {
	&ca_rec_type, &ca_cert_rec_type, &ca_intent_rec_type, &ca_station_type, &ca_request_type,
	&ca_revocation_type, &ca_crl_rec_type, &ca_signer_rec_type, &ca_fw_pending_type,
	&ca_export_rec_type, &ca_fw_sig_type, &ca_scan_rec_type, &ca_expect_rec_type, &ca_mfr_type,
	&ca_cmp_info_type, &ca_import_mark_type,
};
