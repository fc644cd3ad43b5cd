#include "profile.h"

#include <stdio.h>
#include <string.h>

#define EKU_SERVER "1.3.6.1.5.5.7.3.1"
#define EKU_CLIENT "1.3.6.1.5.5.7.3.2"
#define EKU_CODE_SIGNING "1.3.6.1.5.5.7.3.3"
#define GN(t) (1u << (t))

static const char *const eku_server[] = { EKU_SERVER, NULL };
static const char *const eku_client[] = { EKU_CLIENT, NULL };
static const char *const eku_code[] = { EKU_CODE_SIGNING, NULL };
/* OPC UA Part 6 §6.2.2: application instance certificates are used both as
 * client and server */
static const char *const eku_opcua[] = { EKU_SERVER, EKU_CLIENT, NULL };

static const ca_profile profiles[] = {
	{
		"tls-server", "TLS server (MQTT broker, HTTPS): serverAuth, DNS/IP SAN required",
		X509_KU_DIGITAL_SIGNATURE,
		X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_ENCIPHERMENT,
		eku_server,
		GN(X509_GN_DNS) | GN(X509_GN_IP),
		GN(X509_GN_DNS) | GN(X509_GN_IP),
		730,
	},
	{
		"tls-client", "TLS client (MQTT client, device): clientAuth",
		X509_KU_DIGITAL_SIGNATURE,
		X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_ENCIPHERMENT,
		eku_client,
		GN(X509_GN_DNS) | GN(X509_GN_IP) | GN(X509_GN_URI) | GN(X509_GN_EMAIL),
		0,
		730,
	},
	{
		/* OPC UA Part 6 §6.2.2: URI SAN = ApplicationUri; for RSA
		 * digitalSignature, nonRepudiation, keyEncipherment,
		 * dataEncipherment; for ECC digitalSignature, nonRepudiation */
		"opcua-app", "OPC UA application instance: URI SAN (ApplicationUri) required",
		X509_KU_DIGITAL_SIGNATURE | X509_KU_NON_REPUDIATION,
		X509_KU_DIGITAL_SIGNATURE | X509_KU_NON_REPUDIATION |
		    X509_KU_KEY_ENCIPHERMENT | X509_KU_DATA_ENCIPHERMENT,
		eku_opcua,
		GN(X509_GN_DNS) | GN(X509_GN_IP) | GN(X509_GN_URI),
		GN(X509_GN_URI),
		1825,
	},
	{
		/* firmware signers (plantca firmware signer new): RFC 5280
		 * §4.2.1.12 codeSigning, digitalSignature only, no SAN */
		"code-signing", "firmware/code signer: codeSigning, no SAN",
		X509_KU_DIGITAL_SIGNATURE,
		X509_KU_DIGITAL_SIGNATURE,
		eku_code,
		0,
		0,
		1095,
	},
};

static const ca_profile *const all[] = { &profiles[0], &profiles[1], &profiles[2], &profiles[3],
	NULL };

const ca_profile *ca_profile_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

const ca_profile *const *ca_profile_all(void)
{
	return all;
}

static const char *gn_name(x509_gn_type t)
{
	switch (t) {
	case X509_GN_DNS: return "dNSName";
	case X509_GN_IP: return "iPAddress";
	case X509_GN_URI: return "URI";
	case X509_GN_EMAIL: return "rfc822Name";
	}
	return "?";
}

pc_rc ca_profile_apply(const ca_profile *p, const x509_csr *csr, const char *what,
    x509_tbs_params *t, pc_err *e)
{
	size_t i, uris = 0;
	bool have_required = p->san_required == 0;

	for (i = 0; i < csr->nsan; i++) {
		const x509_gn *g = &csr->san[i];
		if (!(p->san_allowed & GN(g->type)))
			return pc_fail(e, PC_E_POLICY, "%s: profile %s does not allow SAN %s",
			    what, p->name, gn_name(g->type));
		if (p->san_required & GN(g->type))
			have_required = true;
		if (g->type == X509_GN_URI)
			uris++;
	}
	if (!have_required)
		return pc_fail(e, PC_E_POLICY, "%s: profile %s requires a SAN (%s%s%s)", what, p->name,
		    p->san_required & GN(X509_GN_URI) ? "URI carrying the ApplicationUri" : "dNSName",
		    p->san_required & GN(X509_GN_IP) ? " or iPAddress" : "", "");
	if (strcmp(p->name, "opcua-app") == 0 && uris != 1)
		return pc_fail(e, PC_E_POLICY, "%s: profile opcua-app needs exactly one URI SAN "
		    "(the ApplicationUri), the request has %zu", what, uris);
	if (csr->subject_len <= 2 && csr->nsan == 0)
		return pc_fail(e, PC_E_POLICY, "%s: empty subject and no subjectAltName", what);
	t->key_usage = csr->keytype == X509_KEY_RSA ? p->ku_rsa : p->ku_ec;
	t->eku = p->eku;
	t->san = csr->san;
	t->nsan = csr->nsan;
	t->is_ca = false;
	t->path_len = -1;
	t->permit = NULL;
	t->npermit = 0;
	return PC_OK;
}
