/* ProcessPrng for Wine 8 (Debian 12), which lacks bcryptprimitives.dll.
 *
 * Rust's standard library (1.78 and later) draws its random numbers (HashMap seeds) from
 * ProcessPrng in bcryptprimitives.dll, which every Windows since 10 ships and Wine added in 9.
 * scripts/windows.sh builds this stand-in beside holdguard.exe so the Windows build can be run
 * under the distribution's older Wine; it is never shipped. */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
