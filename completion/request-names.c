/* SPDX-License-Identifier: MIT */
/*
 * request-names.c - prints the request names the decoder's --request takes,
 * lower case and without the VHOST_USER_ prefix (as users type them), one
 * per line, for the shell completion generated at build time: the core's
 * message tables stay the one list of requests.
 */
#include <ctype.h>
#include <stdio.h>

#include "vhu_msgs.h"
#include "vhu_record.h"

int main(void)
{
	static const unsigned channels[] = { VHU_CHAN_MAIN, VHU_CHAN_BACKEND, VHU_CHAN_GPU };

	for (size_t c = 0; c < sizeof(channels) / sizeof(channels[0]); c++)
		for (uint32_t id = 0; id <= vhu_msg_max(channels[c]); id++) {
			const struct vhu_msg_desc *d = vhu_msg_lookup(channels[c], id);

			if (!d)
				continue;
			for (const char *p = d->summary_name; *p; p++)
				putchar(tolower((unsigned char)*p));
			putchar('\n');
		}
	return ferror(stdout) ? 1 : 0;
}
