/* A stand-in for bcryptprimitives.dll, so that Rust programs built for
 * x86_64-pc-windows-gnu run under wine 8.0 (Debian 12's). Rust's standard
 * library gets its random numbers from bcryptprimitives.dll!ProcessPrng,
 * which wine only has from 8.13 on; without it every Rust .exe stops at
 * start with c0000135 (DLL not found). scripts/wine-env.sh builds this
 * file into the wine prefix. ProcessPrng fills the buffer with random
 * bytes and, as on Windows, always returns TRUE. */
#include <windows.h>

/* RtlGenRandom, exported by advapi32.dll under this name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        SystemFunction036(data, chunk);
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
