#include <cblas.h>
/* Declared by OpenBLAS's cblas.h on Debian; restated so the shim documents what Lathe uses. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
