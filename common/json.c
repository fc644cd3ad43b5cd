#include "json.h"

#include <string.h>

#include "text.h"

/* The escaping rules are text.c's (escape() with PC_TEXT_JSON), reached
 * through its FILE and pc_buf sinks; here are only the quotes. */

void json_str_body(FILE *f, const char *s)
{
	if (s != NULL)
		pc_text_fwrite(f, s, strlen(s), PC_TEXT_JSON);
}

void json_str(FILE *f, const char *s)
{
	putc('"', f);
	json_str_body(f, s);
	putc('"', f);
}

void json_buf_str(pc_buf *b, const char *s)
{
	pc_buf_byte(b, '"');
	if (s != NULL)
		pc_text_bwrite(b, s, strlen(s), PC_TEXT_JSON);
	pc_buf_byte(b, '"');
}
