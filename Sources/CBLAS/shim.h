// OpenBLAS's C interface (Debian: libopenblas-dev; pkg-config adds its include directory).
#include <cblas.h>
