// The optimizers' C fast paths (called only from their own Swift files), compiled per instruction set.
#include "synapse_kernels.h"
#include "internal.h"

// Exactly the scalar arithmetic of the Swift loop: never contract a*b+c into a fused multiply-add.
#pragma clang fp contract(off)

CLONES
void synapse_adam_f32(float *p, const float *g, float *m, float *v, long n,
                      int decoupled, float decay, float l2, float b1, float c1, float b2, float c2,
                      float step, float root, float eps) {
    for (long i = 0; i < n; i++) {
        float theta = p[i];
        if (decoupled) theta = theta * decay;
        float gi = g[i];
        if (l2 != 0) gi = gi + l2 * theta;
        float mi = b1 * m[i] + c1 * gi;
        float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = theta - step * mi / (__builtin_elementwise_sqrt(vi) / root + eps);   // sqrt without errno, so it vectorizes
    }
}
