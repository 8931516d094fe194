/* main.c - vhost-user-decode: print the vhost-user messages of a capture. */
#include <stdio.h>

#include "dec.h"

int main(int argc, char **argv)
{
	struct dec_opts o;
	int ret;

	ret = dec_parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	vhu_fields_init();
	ret = o.diff.b ? dec_diff_run(&o) : dec_run(&o);
	dec_free_args();
	return ret;
}
