// cuda-check: proves a container can really use the GPU.
// y = a*x + y on 2^20 floats on device 0, compared with the same computation
// on the CPU. The GPU fuses the multiply-add (one rounding) where the CPU
// rounds twice, so results are compared with a relative tolerance.
// Prints "cuda-check: device 0: <name> (cc X.Y, bus B): N values, K wrong"
// and exits 0 only when every value is right; on any CUDA error prints the
// error string (e.g. "no CUDA-capable device is detected") and exits 1.
//
// Built by scripts/build-carry.sh with -cudart static and
// -static-libstdc++/-static-libgcc: inside the container it needs only glibc
// (libcuda.so.1 is dlopened by the CUDA runtime).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>

#define CHECK(call)                                                              \
        do {                                                                     \
                cudaError_t e_ = (call);                                         \
                if (e_ != cudaSuccess) {                                         \
                        fprintf(stderr, "cuda-check: %s: %s (%s)\n", #call,      \
                                cudaGetErrorString(e_), cudaGetErrorName(e_));   \
                        return 1;                                                \
                }                                                                \
        } while (0)

__global__ static void saxpy(int n, float a, const float *x, float *y)
{
        int i = blockIdx.x * blockDim.x + threadIdx.x;
        if (i < n)
                y[i] = a * x[i] + y[i];
}

int main(void)
{
        const int n = 1 << 20;
        const float a = 2.5f;
        int count = 0;
        CHECK(cudaGetDeviceCount(&count));
        cudaDeviceProp prop;
        CHECK(cudaGetDeviceProperties(&prop, 0));

        float *x = (float *)malloc(n * sizeof(float));
        float *y = (float *)malloc(n * sizeof(float));
        float *ref = (float *)malloc(n * sizeof(float));
        if (x == NULL || y == NULL || ref == NULL) {
                fprintf(stderr, "cuda-check: out of memory\n");
                return 1;
        }
        srand(12345);
        for (int i = 0; i < n; i++) {
                x[i] = (float)rand() / (float)RAND_MAX * 200.0f - 100.0f;
                y[i] = (float)rand() / (float)RAND_MAX * 200.0f - 100.0f;
                ref[i] = a * x[i] + y[i];
        }

        float *dx, *dy;
        CHECK(cudaMalloc(&dx, n * sizeof(float)));
        CHECK(cudaMalloc(&dy, n * sizeof(float)));
        CHECK(cudaMemcpy(dx, x, n * sizeof(float), cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(dy, y, n * sizeof(float), cudaMemcpyHostToDevice));
        saxpy<<<(n + 255) / 256, 256>>>(n, a, dx, dy);
        CHECK(cudaGetLastError());
        CHECK(cudaDeviceSynchronize());
        CHECK(cudaMemcpy(y, dy, n * sizeof(float), cudaMemcpyDeviceToHost));
        CHECK(cudaFree(dx));
        CHECK(cudaFree(dy));

        // One fused rounding against two: the difference is at most about one
        // ulp of the larger operand; 1e-5 relative (plus a tiny absolute floor
        // for results near 0 after cancellation) is generous for float and
        // still catches any wrong or missing value.
        int wrong = 0;
        for (int i = 0; i < n; i++) {
                float scale = fmaxf(fabsf(a * x[i]), fabsf(ref[i]));
                if (!(fabsf(y[i] - ref[i]) <= 1e-5f * scale + 1e-6f)) {
                        if (wrong < 5)
                                fprintf(stderr, "cuda-check: [%d] gpu %.9g cpu %.9g\n", i,
                                        (double)y[i], (double)ref[i]);
                        wrong++;
                }
        }
        int rtv = 0, drv = 0;
        cudaRuntimeGetVersion(&rtv);
        cudaDriverGetVersion(&drv);
        printf("cuda-check: device 0 of %d: %s (cc %d.%d, bus %04x:%02x:%02x.0, driver CUDA %d.%d, "
               "runtime %d.%d): %d values, %d wrong\n",
               count, prop.name, prop.major, prop.minor, prop.pciDomainID, prop.pciBusID,
               prop.pciDeviceID, drv / 1000, drv % 1000 / 10, rtv / 1000, rtv % 1000 / 10, n,
               wrong);
        free(x);
        free(y);
        free(ref);
        return wrong == 0 ? 0 : 1;
}
