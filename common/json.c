#include "json.h"

#include <string.h>

#include "text.h"

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
