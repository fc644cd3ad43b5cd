/*
 * opcua.c - the OPC UA exchange of `plantca-station scan` (OPC 10000-6
 * §7.1 UA Connection Protocol, §6.7 secure conversation, with
 * SecurityPolicy None): Hello, OpenSecureChannel, GetEndpoints,
 * CloseSecureChannel, what any client may send before it authenticates.
 * Nothing is written to the server, no session is created, nothing is
 * read from its address space.
 *
 * Every reply byte is hostile: each message's size is checked against
 * what we announced in Hello (a chunk at most ST_UA_CHUNK_MAX bytes, a
 * message at most ST_UA_MESSAGE_MAX in at most ST_UA_CHUNKS_MAX chunks)
 * before it is read; strings, byte strings and arrays are bounded; every
 * field is read through the bounded reader and each structure must be
 * consumed exactly.  The I/O (and so the time limits) is the caller's
 * (st_io).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station.h"
#include "text.h"

static const char policy_none[] = "http://opcfoundation.org/UA/SecurityPolicy#None";

/* Binary encoding ids of the service messages (OPC 10000-6 Annex A,
 * NodeIds.csv "..._Encoding_DefaultBinary"). */
enum {
	UA_SERVICE_FAULT = 397,
	UA_GET_ENDPOINTS_REQ = 428,
	UA_GET_ENDPOINTS_RESP = 431,
	UA_OPN_REQ = 446,
	UA_OPN_RESP = 449,
	UA_CLO_REQ = 452,
	UA_HEADER = 8,                  /* MessageType[3], ChunkType, MessageSize */
	UA_ACK_SIZE = 28,
	UA_MIN_BUFFER = 8192,           /* OPC 10000-6 §7.1.2.3: smallest buffer a peer may have */
	UA_REQ_OPN = 1, UA_REQ_GETEP = 2, UA_REQ_CLO = 3,   /* our request ids */
};

/* ------------------------------------------------------------- writing */

static void put_u32(pc_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	pc_buf_append(b, x, 4);
}

static void put_i64(pc_buf *b, int64_t v)
{
	put_u32(b, (uint32_t)((uint64_t)v & 0xffffffffu));
	put_u32(b, (uint32_t)((uint64_t)v >> 32));
}

static void put_str(pc_buf *b, const char *s)
{
	if (s == NULL) {
		put_u32(b, 0xffffffffu);        /* null */
		return;
	}
	put_u32(b, (uint32_t)strlen(s));
	pc_buf_str(b, s);
}

/* FourByte NodeId ns=0 (OPC 10000-6 §5.2.2.9). */
static void put_nodeid(pc_buf *b, uint16_t id)
{
	pc_buf_byte(b, 0x01);
	pc_buf_byte(b, 0);
	pc_buf_byte(b, (uint8_t)id);
	pc_buf_byte(b, (uint8_t)(id >> 8));
}

/* RequestHeader (OPC 10000-4 §7.28): no authentication token, no audit
 * id, no additional header. */
static void put_request_header(pc_buf *b, int64_t now, uint32_t handle, uint32_t timeout_ms)
{
	pc_buf_byte(b, 0x00);               /* authenticationToken: TwoByte NodeId 0 */
	pc_buf_byte(b, 0x00);
	put_i64(b, now);
	put_u32(b, handle);
	put_u32(b, 0);                      /* returnDiagnostics */
	put_str(b, NULL);                   /* auditEntryId */
	put_u32(b, timeout_ms);
	pc_buf_byte(b, 0x00);               /* additionalHeader: null ExtensionObject */
	pc_buf_byte(b, 0x00);
	pc_buf_byte(b, 0x00);
}

/* Fill in the header's MessageSize and send. */
PC_CHECK static pc_rc send_msg(const st_io *io, pc_buf *b, pc_err *e)
{
	if (!pc_buf_ok(b))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	b->p[4] = (uint8_t)b->len;
	b->p[5] = (uint8_t)(b->len >> 8);
	b->p[6] = (uint8_t)(b->len >> 16);
	b->p[7] = (uint8_t)(b->len >> 24);
	return io->write(io->ctx, b->p, b->len, e);
}

static void begin_msg(pc_buf *b, const char type[4])
{
	b->len = 0;
	pc_buf_append(b, type, 4);
	put_u32(b, 0);                      /* MessageSize, set by send_msg */
}

/* ------------------------------------------------------------- reading */

static bool get_u32(pc_reader *r, uint32_t *v)
{
	const uint8_t *p = pc_reader_take(r, 4);

	if (p == NULL)
		return false;
	*v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return true;
}

static bool skip(pc_reader *r, size_t n)
{
	return pc_reader_take(r, n) != NULL || n == 0;
}

/* String or ByteString: Int32 length, -1 for null (OPC 10000-6 §5.2.2.4);
 * *p NULL and *n 0 for null and empty.  False when malformed, truncated
 * or longer than max. */
static bool get_bytes(pc_reader *r, size_t max, const uint8_t **p, size_t *n)
{
	uint32_t len;

	*p = NULL;
	*n = 0;
	if (!get_u32(r, &len))
		return false;
	if (len == 0xffffffffu || len == 0)
		return true;
	if (len > 0x7fffffffu || len > max || len > pc_reader_left(r)) {
		r->failed = true;
		return false;
	}
	*p = pc_reader_take(r, len);
	*n = len;
	return *p != NULL;
}

static bool skip_str(pc_reader *r)
{
	const uint8_t *p;
	size_t n;

	return get_bytes(r, ST_UA_STRING_MAX, &p, &n);
}

/* An array's length: -1 (null) reads as 0; at most max. */
static bool get_count(pc_reader *r, size_t max, size_t *n)
{
	uint32_t c;

	if (!get_u32(r, &c))
		return false;
	if (c == 0xffffffffu) {
		*n = 0;
		return true;
	}
	if (c > max) {
		r->failed = true;
		return false;
	}
	*n = c;
	return true;
}

static bool skip_str_array(pc_reader *r)
{
	size_t n, i;

	if (!get_count(r, ST_UA_ARRAY_MAX, &n))
		return false;
	for (i = 0; i < n; i++)
		if (!skip_str(r))
			return false;
	return true;
}

/* A NodeId (OPC 10000-6 §5.2.2.9); *id the numeric id in namespace 0,
 * or UINT32_MAX for any other NodeId. */
static bool get_nodeid(pc_reader *r, uint32_t *id)
{
	uint8_t enc, b;
	uint32_t v;
	const uint8_t *p;
	size_t n;

	*id = UINT32_MAX;
	if (!pc_reader_u8(r, &enc))
		return false;
	switch (enc) {
	case 0x00:
		if (!pc_reader_u8(r, &b))
			return false;
		*id = b;
		return true;
	case 0x01:
		if ((p = pc_reader_take(r, 3)) == NULL)
			return false;
		if (p[0] == 0)
			*id = (uint32_t)p[1] | (uint32_t)p[2] << 8;
		return true;
	case 0x02:
		if ((p = pc_reader_take(r, 2)) == NULL || !get_u32(r, &v))
			return false;
		if (p[0] == 0 && p[1] == 0)
			*id = v;
		return true;
	case 0x03:
	case 0x05:
		return skip(r, 2) && get_bytes(r, ST_UA_STRING_MAX, &p, &n);
	case 0x04:
		return skip(r, 2 + 16);
	default:
		r->failed = true;               /* ExpandedNodeId flags have no place here */
		return false;
	}
}

/* ExtensionObject (§5.2.2.15): TypeId, encoding, body. */
static bool skip_extension(pc_reader *r)
{
	uint32_t id;
	uint8_t enc;
	const uint8_t *p;
	size_t n;

	if (!get_nodeid(r, &id) || !pc_reader_u8(r, &enc))
		return false;
	if (enc == 0x00)
		return true;
	if (enc == 0x01 || enc == 0x02)
		return get_bytes(r, ST_UA_BYTES_MAX, &p, &n);
	r->failed = true;
	return false;
}

/* DiagnosticInfo (§5.2.2.12), nested at most ST_UA_DIAG_DEPTH deep. */
static bool skip_diag(pc_reader *r, int depth)
{
	uint8_t m;

	if (!pc_reader_u8(r, &m))
		return false;
	if ((m & 0x80) || depth > ST_UA_DIAG_DEPTH) {
		r->failed = true;
		return false;
	}
	return (!(m & 0x01) || skip(r, 4)) && (!(m & 0x02) || skip(r, 4)) &&
	    (!(m & 0x08) || skip(r, 4)) && (!(m & 0x04) || skip(r, 4)) &&
	    (!(m & 0x10) || skip_str(r)) && (!(m & 0x20) || skip(r, 4)) &&
	    (!(m & 0x40) || skip_diag(r, depth + 1));
}

/* LocalizedText (§5.2.2.14). */
static bool skip_ltext(pc_reader *r)
{
	uint8_t m;

	if (!pc_reader_u8(r, &m))
		return false;
	if (m & ~0x03u) {
		r->failed = true;
		return false;
	}
	return (!(m & 0x01) || skip_str(r)) && (!(m & 0x02) || skip_str(r));
}

/* ResponseHeader (OPC 10000-4 §7.29); *result its serviceResult. */
static bool get_response_header(pc_reader *r, uint32_t *handle, uint32_t *result)
{
	return skip(r, 8) && get_u32(r, handle) && get_u32(r, result) && skip_diag(r, 0) &&
	    skip_str_array(r) && skip_extension(r);
}

/* ---------------------------------------------------------------- chunks */

/* One message chunk of an expected type: the header checked before its
 * body is read (size within what Hello announced), the body into *body
 * (owned by the caller, reused).  An ERR message ends the exchange with
 * the server's status code and reason. */
PC_CHECK static pc_rc read_chunk(const st_io *io, const char *type, uint8_t *chunk_type, pc_buf *body,
    pc_err *e)
{
	uint8_t h[UA_HEADER];
	uint32_t size;

	PC_TRY(io->read(io->ctx, h, UA_HEADER, e));
	size = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
	if (memcmp(h, "ERR", 3) == 0) {
		pc_reader r;
		uint32_t code;
		const uint8_t *reason;
		size_t rl;
		char q[128];
		if (size < UA_HEADER + 8 || size > UA_HEADER + 8 + ST_UA_STRING_MAX)
			return pc_fail(e, PC_E_INPUT, "Error message of %u bytes", size);
		body->len = 0;
		if (!pc_buf_reserve(body, size - UA_HEADER))
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		PC_TRY(io->read(io->ctx, body->p, size - UA_HEADER, e));
		r = pc_reader_make(body->p, size - UA_HEADER);
		if (!get_u32(&r, &code) || !get_bytes(&r, ST_UA_STRING_MAX, &reason, &rl) ||
		    !pc_reader_done(&r))
			return pc_fail(e, PC_E_INPUT, "malformed Error message");
		return pc_fail(e, PC_E_INPUT, "server sent Error 0x%08x '%s'", code,
		    pc_text_quote(q, sizeof q, reason, rl));
	}
	if (memcmp(h, type, 3) != 0) {
		char q[16];
		return pc_fail(e, PC_E_INPUT, "expected message type %s, got '%s'", type,
		    pc_text_quote(q, sizeof q, h, 3));
	}
	*chunk_type = h[3];
	if (h[3] != 'F' && h[3] != 'C' && h[3] != 'A')
		return pc_fail(e, PC_E_INPUT, "%s message: chunk type 0x%02x", type, h[3]);
	if (size < UA_HEADER || size > ST_UA_CHUNK_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s message of %u bytes (at most %d, as our Hello said)",
		    type, size, ST_UA_CHUNK_MAX);
	body->len = 0;
	if (!pc_buf_reserve(body, size - UA_HEADER + 1))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	PC_TRY(io->read(io->ctx, body->p, size - UA_HEADER, e));
	body->len = size - UA_HEADER;
	return PC_OK;
}

/* The sequence header and what the security header of a secure channel
 * message must say (SecurityPolicy None). */
typedef struct channel {
	uint32_t id, token, seq_out, seq_in;
	bool have_seq_in;
} channel;

PC_CHECK static pc_rc check_seq(channel *ch, pc_reader *r, uint32_t request, const char *what, pc_err *e)
{
	uint32_t seq, req;

	if (!get_u32(r, &seq) || !get_u32(r, &req))
		return pc_fail(e, PC_E_INPUT, "%s: truncated sequence header", what);
	if (req != request)
		return pc_fail(e, PC_E_INPUT, "%s: answers request %u, not %u", what, req, request);
	/* OPC 10000-6 §6.7.2.4: each chunk of a message is numbered one
	 * more than the one before (wrapping below 1024) */
	if (ch->have_seq_in && seq != ch->seq_in + 1 && !(ch->seq_in >= 4294966271u && seq < 1024))
		return pc_fail(e, PC_E_INPUT, "%s: sequence number %u after %u", what, seq, ch->seq_in);
	ch->seq_in = seq;
	ch->have_seq_in = true;
	return PC_OK;
}

/* A service response body: the expected type, or a ServiceFault; a bad
 * serviceResult ends the exchange. */
PC_CHECK static pc_rc check_response(pc_reader *r, uint32_t want, uint32_t handle, const char *what,
    pc_err *e)
{
	uint32_t id, h, result;

	if (!get_nodeid(r, &id))
		return pc_fail(e, PC_E_INPUT, "%s: malformed type id", what);
	if (id != want && id != UA_SERVICE_FAULT)
		return pc_fail(e, PC_E_INPUT, "%s: unexpected response type (ns=0;i=%u)", what, id);
	if (!get_response_header(r, &h, &result))
		return pc_fail(e, PC_E_INPUT, "%s: malformed ResponseHeader", what);
	if (h != handle)
		return pc_fail(e, PC_E_INPUT, "%s: answers request handle %u, not %u", what, h, handle);
	if (id == UA_SERVICE_FAULT)
		return pc_fail(e, PC_E_INPUT, "%s: service fault 0x%08x", what, result);
	if (result & 0x80000000u)
		return pc_fail(e, PC_E_INPUT, "%s: service result 0x%08x", what, result);
	return PC_OK;
}

/* ---------------------------------------------------------------- steps */

PC_CHECK static pc_rc hello(const st_io *io, const char *url, pc_buf *b, pc_err *e)
{
	pc_reader r;
	uint8_t ct;
	uint32_t ver, rbuf, sbuf, maxmsg, maxchunks;

	begin_msg(b, "HELF");
	put_u32(b, 0);                          /* ProtocolVersion */
	put_u32(b, ST_UA_CHUNK_MAX);            /* ReceiveBufferSize */
	put_u32(b, ST_UA_CHUNK_MAX);            /* SendBufferSize */
	put_u32(b, ST_UA_MESSAGE_MAX);          /* MaxMessageSize */
	put_u32(b, ST_UA_CHUNKS_MAX);           /* MaxChunkCount */
	put_str(b, url);                        /* EndpointUrl */
	PC_TRY(send_msg(io, b, e));
	PC_TRY(read_chunk(io, "ACK", &ct, b, e));
	if (ct != 'F')
		return pc_fail(e, PC_E_INPUT, "Acknowledge: not a final chunk");
	if (b->len != UA_ACK_SIZE - UA_HEADER)
		return pc_fail(e, PC_E_INPUT, "Acknowledge: %zu bytes, expected %d", b->len + UA_HEADER,
		    UA_ACK_SIZE);
	r = pc_reader_make(b->p, b->len);
	if (!get_u32(&r, &ver) || !get_u32(&r, &rbuf) || !get_u32(&r, &sbuf) ||
	    !get_u32(&r, &maxmsg) || !get_u32(&r, &maxchunks))
		return pc_fail(e, PC_E_INPUT, "Acknowledge: truncated");
	if (rbuf < UA_MIN_BUFFER)
		return pc_fail(e, PC_E_INPUT, "Acknowledge: receive buffer of %u bytes (at least %d)",
		    rbuf, UA_MIN_BUFFER);
	return PC_OK;
}

PC_CHECK static pc_rc open_channel(const st_io *io, channel *ch, int64_t now, uint32_t timeout_ms,
    pc_buf *b, pc_err *e)
{
	pc_reader r;
	const uint8_t *p;
	size_t n;
	uint8_t ct;
	uint32_t cid, ver, tok_ch, tok_id, life;

	begin_msg(b, "OPNF");
	put_u32(b, 0);                          /* SecureChannelId: none yet */
	put_str(b, policy_none);                /* asymmetric security header */
	put_str(b, NULL);                       /* SenderCertificate */
	put_str(b, NULL);                       /* ReceiverCertificateThumbprint */
	put_u32(b, ch->seq_out++);              /* sequence header */
	put_u32(b, UA_REQ_OPN);
	put_nodeid(b, UA_OPN_REQ);
	put_request_header(b, now, UA_REQ_OPN, timeout_ms);
	put_u32(b, 0);                          /* ClientProtocolVersion */
	put_u32(b, 0);                          /* RequestType: Issue */
	put_u32(b, SR_MODE_NONE);               /* SecurityMode: None */
	put_str(b, NULL);                       /* ClientNonce */
	put_u32(b, 60000);                      /* RequestedLifetime, ms */
	PC_TRY(send_msg(io, b, e));
	PC_TRY(read_chunk(io, "OPN", &ct, b, e));
	if (ct != 'F')
		return pc_fail(e, PC_E_INPUT, "OpenSecureChannel response: not a final chunk");
	r = pc_reader_make(b->p, b->len);
	if (!get_u32(&r, &cid) || !get_bytes(&r, ST_UA_STRING_MAX, &p, &n))
		return pc_fail(e, PC_E_INPUT, "OpenSecureChannel response: truncated security header");
	if (n != sizeof policy_none - 1 || memcmp(p, policy_none, n) != 0)
		return pc_fail(e, PC_E_INPUT, "OpenSecureChannel response: security policy is not None");
	if (!get_bytes(&r, ST_UA_BYTES_MAX, &p, &n) || !get_bytes(&r, ST_UA_STRING_MAX, &p, &n))
		return pc_fail(e, PC_E_INPUT, "OpenSecureChannel response: truncated security header");
	PC_TRY(check_seq(ch, &r, UA_REQ_OPN, "OpenSecureChannel response", e));
	PC_TRY(check_response(&r, UA_OPN_RESP, UA_REQ_OPN, "OpenSecureChannel response", e));
	if (!get_u32(&r, &ver) || !get_u32(&r, &tok_ch) || !get_u32(&r, &tok_id) || !skip(&r, 8) ||
	    !get_u32(&r, &life) || !get_bytes(&r, ST_UA_STRING_MAX, &p, &n) || !pc_reader_done(&r))
		return pc_fail(e, PC_E_INPUT, "OpenSecureChannel response: malformed body");
	if (tok_ch != cid || cid == 0)
		return pc_fail(e, PC_E_INPUT, "OpenSecureChannel response: channel %u, token for %u",
		    cid, tok_ch);
	ch->id = cid;
	ch->token = tok_id;
	return PC_OK;
}

/* A symmetric message's header fields (channel, token) and sequence. */
PC_CHECK static pc_rc msg_headers(channel *ch, pc_reader *r, uint32_t request, const char *what, pc_err *e)
{
	uint32_t cid, tok;

	if (!get_u32(r, &cid) || !get_u32(r, &tok))
		return pc_fail(e, PC_E_INPUT, "%s: truncated security header", what);
	if (cid != ch->id || tok != ch->token)
		return pc_fail(e, PC_E_INPUT, "%s: channel %u token %u, not %u %u", what, cid, tok,
		    ch->id, ch->token);
	return check_seq(ch, r, request, what, e);
}

/* The GetEndpoints response, chunks reassembled into out->msg. */
PC_CHECK static pc_rc get_endpoints_msg(const st_io *io, channel *ch, const char *url, int64_t now,
    uint32_t timeout_ms, pc_buf *b, pc_buf *msg, pc_err *e)
{
	static const char what[] = "GetEndpoints response";
	size_t chunks = 0;
	uint8_t ct;

	begin_msg(b, "MSGF");
	put_u32(b, ch->id);
	put_u32(b, ch->token);
	put_u32(b, ch->seq_out++);
	put_u32(b, UA_REQ_GETEP);
	put_nodeid(b, UA_GET_ENDPOINTS_REQ);
	put_request_header(b, now, UA_REQ_GETEP, timeout_ms);
	put_str(b, url);                        /* EndpointUrl */
	put_u32(b, 0);                          /* LocaleIds: empty */
	put_u32(b, 0);                          /* ProfileUris: empty */
	PC_TRY(send_msg(io, b, e));
	ch->have_seq_in = false;
	for (;;) {
		pc_reader r;
		PC_TRY(read_chunk(io, "MSG", &ct, b, e));
		if (++chunks > ST_UA_CHUNKS_MAX)
			return pc_fail(e, PC_E_LIMIT, "%s: more than %d chunks", what, ST_UA_CHUNKS_MAX);
		r = pc_reader_make(b->p, b->len);
		PC_TRY(msg_headers(ch, &r, UA_REQ_GETEP, what, e));
		if (ct == 'A') {
			uint32_t code;
			const uint8_t *reason;
			size_t rl;
			char q[128];
			if (!get_u32(&r, &code) || !get_bytes(&r, ST_UA_STRING_MAX, &reason, &rl) ||
			    !pc_reader_done(&r))
				return pc_fail(e, PC_E_INPUT, "%s: malformed abort chunk", what);
			return pc_fail(e, PC_E_INPUT, "%s: aborted by the server: 0x%08x '%s'", what, code,
			    pc_text_quote(q, sizeof q, reason, rl));
		}
		if (msg->len + pc_reader_left(&r) > ST_UA_MESSAGE_MAX)
			return pc_fail(e, PC_E_LIMIT, "%s: more than %d bytes", what, ST_UA_MESSAGE_MAX);
		pc_buf_append(msg, st_reader_at(&r), pc_reader_left(&r));
		if (!pc_buf_ok(msg))
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		if (ct == 'F')
			return PC_OK;
	}
}

/* One EndpointDescription (OPC 10000-4 §7.14). */
static bool get_description(pc_reader *r, st_ua_desc *d, bool *uri_long, bool *policy_long)
{
	const uint8_t *p;
	size_t n, ntok, i;
	uint32_t mode;
	uint8_t level;

	memset(d, 0, sizeof *d);
	if (!skip_str(r) ||                                 /* endpointUrl */
	    !get_bytes(r, ST_UA_STRING_MAX, &p, &n))        /* server.applicationUri */
		return false;
	if (n > SR_TEXT_MAX)
		*uri_long = true;
	else if (n > 0)
		memcpy(d->app_uri, p, d->app_uri_len = n);
	if (!skip_str(r) || !skip_ltext(r) || !skip(r, 4) ||   /* productUri, name, type */
	    !skip_str(r) || !skip_str(r) || !skip_str_array(r) ||   /* gateway, profile, urls */
	    !get_bytes(r, ST_UA_BYTES_MAX, &d->cert, &d->cert_len) || !get_u32(r, &mode) ||
	    !get_bytes(r, ST_UA_STRING_MAX, &p, &n))        /* securityPolicyUri */
		return false;
	d->mode = mode;
	if (n > SR_TEXT_MAX)
		*policy_long = true;
	else if (n > 0)
		memcpy(d->policy, p, d->policy_len = n);
	if (!get_count(r, ST_UA_ARRAY_MAX, &ntok))
		return false;
	for (i = 0; i < ntok; i++)                          /* UserTokenPolicy */
		if (!skip_str(r) || !skip(r, 4) || !skip_str(r) || !skip_str(r) || !skip_str(r))
			return false;
	return skip_str(r) && pc_reader_u8(r, &level);     /* transportProfileUri, level */
}

pc_rc st_ua_parse_endpoints(const uint8_t *msg, size_t len, st_ua_result *out, pc_err *e)
{
	static const char what[] = "GetEndpoints response";
	pc_reader r = pc_reader_make(msg, len);
	st_ua_desc d;
	size_t n, i;
	bool uri_long = false, policy_long = false;

	out->n = 0;
	out->more = false;
	PC_TRY(check_response(&r, UA_GET_ENDPOINTS_RESP, UA_REQ_GETEP, what, e));
	if (!get_count(&r, ST_UA_ARRAY_MAX, &n))
		return pc_fail(e, PC_E_INPUT, "%s: malformed or more than %d endpoints", what,
		    ST_UA_ARRAY_MAX);
	for (i = 0; i < n; i++) {
		if (!get_description(&r, &d, &uri_long, &policy_long))
			return pc_fail(e, PC_E_INPUT, "%s: endpoint %zu is malformed", what, i);
		if (uri_long || policy_long)
			return pc_fail(e, PC_E_LIMIT, "%s: endpoint %zu: %s longer than %d bytes", what, i,
			    uri_long ? "ApplicationUri" : "security policy URI", SR_TEXT_MAX);
		if (out->n < SR_UA_MAX)
			out->desc[out->n++] = d;
		else
			out->more = true;
	}
	if (!pc_reader_done(&r))
		return pc_fail(e, PC_E_INPUT, "%s: %zu bytes after the endpoints", what,
		    pc_reader_left(&r));
	return PC_OK;
}

PC_CHECK static pc_rc close_channel(const st_io *io, channel *ch, int64_t now, pc_buf *b, pc_err *e)
{
	begin_msg(b, "CLOF");
	put_u32(b, ch->id);
	put_u32(b, ch->token);
	put_u32(b, ch->seq_out++);
	put_u32(b, UA_REQ_CLO);
	put_nodeid(b, UA_CLO_REQ);
	put_request_header(b, now, UA_REQ_CLO, 0);
	return send_msg(io, b, e);
}

void st_ua_result_free(st_ua_result *r)
{
	free(r->msg);
	r->msg = NULL;
	r->len = 0;
	r->n = 0;
}

pc_rc st_ua_probe(const st_io *io, const char *url, int64_t now, uint32_t timeout_ms,
    st_ua_result *out, pc_err *e)
{
	pc_buf b = PC_BUF_INIT, msg = PC_BUF_INIT;
	channel ch = { 0, 0, 1, 0, false };
	pc_rc rc;

	memset(out, 0, sizeof *out);
	if (strlen(url) > ST_UA_STRING_MAX)
		return pc_fail(e, PC_E_USAGE, "endpoint URL too long");
	if ((rc = hello(io, url, &b, e)) == PC_OK &&
	    (rc = open_channel(io, &ch, now, timeout_ms, &b, e)) == PC_OK &&
	    (rc = get_endpoints_msg(io, &ch, url, now, timeout_ms, &b, &msg, e)) == PC_OK) {
		out->msg = pc_buf_steal(&msg, &out->len);
		if (out->msg == NULL)
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		else
			rc = st_ua_parse_endpoints(out->msg, out->len, out, e);
		/* CloseSecureChannel has no response (OPC 10000-4 §5.5.3); a
		 * failure to send it changes nothing that was seen */
		if (rc == PC_OK) {
			pc_err ignored;
			if (close_channel(io, &ch, now, &b, &ignored) != PC_OK)
				ignored.msg[0] = '\0';
		}
	}
	pc_buf_free(&b);
	pc_buf_free(&msg);
	if (rc != PC_OK)
		st_ua_result_free(out);
	return rc;
}
