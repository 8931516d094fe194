/* dec_filter.c - which messages and capture events the user wants to see. */
#include "dec.h"

#include "vhu_msgs.h"

static bool request_wanted(const struct dec_filter *f, uint8_t channel, uint32_t request)
{
	unsigned i;

	if (!f->nreq)
		return true;
	for (i = 0; i < f->nreq; i++)
		if (f->req[i].channel == channel && f->req[i].request == request)
			return true;
	return false;
}

bool dec_filter_message(const struct dec_filter *f, const struct vhu_msg *m,
			const struct vhu_msg_info *mi)
{
	if (f->by_conn && mi->conn_id != f->conn)
		return false;
	if (f->channel && mi->channel != f->channel)
		return false;
	if (f->from && mi->sender != f->from)
		return false;
	return request_wanted(f, mi->channel, m->request);
}

/* Capture events (connect, close ...) have no request and no sender: they
 * are hidden by --request and --from, and follow --conn and --channel. */
bool dec_filter_record(const struct dec_filter *f, const struct vhu_record *r)
{
	if (f->nreq || f->from)
		return false;
	if (f->by_conn && r->h.conn_id != f->conn)
		return false;
	if (f->channel && r->h.channel != f->channel)
		return false;
	return true;
}
