/* getauxval(3) is declared in <sys/auxv.h>, which Swift's Glibc module lacks. */
#include <sys/auxv.h>

#include "dmahost_process.h"

int dmahost_secure_execution(void)
{
	return getauxval(AT_SECURE) != 0;
}
