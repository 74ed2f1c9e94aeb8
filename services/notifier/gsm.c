/* SPDX-License-Identifier: Apache-2.0 */
/* GSM-7 / UCS-2 detection and SMS part counting, per the 3GPP TS 23.038
 * default alphabet and its extension table as named in delivery-v1.md. */
#include "gsm.h"
#include <stdint.h>
#include "prahari/util.h"

/* The GSM 03.38 default alphabet as Unicode code points, in table order
 * (0x1B, the escape to the extension table, is not a character). */
static const uint16_t gsm_basic[] = {
        0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
        0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
        0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
        0x03A3, 0x0398, 0x039E, /*ESC*/ 0x00C6, 0x00E6, 0x00DF, 0x00C9,
        0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
        0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
        0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
        0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
        0x00A1, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4,
        0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* The extension characters delivery-v1.md names; each costs ESC + 1. */
static const uint16_t gsm_ext[] = {0x005E, 0x007B, 0x007D, 0x005C, 0x005B,
                                   0x005D, 0x007E, 0x007C, 0x20AC};

int gsm_septets(unsigned cp)
{
        if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z'))
                return 1;
        for (size_t i = 0; i < sizeof gsm_basic / sizeof gsm_basic[0]; i++)
                if (gsm_basic[i] == cp)
                        return 1;
        for (size_t i = 0; i < sizeof gsm_ext / sizeof gsm_ext[0]; i++)
                if (gsm_ext[i] == cp)
                        return 2;
        return 0;
}

const char *gsm_encoding_name(enum gsm_encoding enc)
{
        return enc == GSM_ENC_GSM7 ? "gsm7" : "ucs2";
}

static int parts_for(size_t units, size_t single, size_t multi)
{
        if (units <= single)
                return 1;
        return (int)((units + multi - 1) / multi);
}

int gsm_count_text(const char *text, size_t len, struct gsm_count *out)
{
        const unsigned char *s = (const unsigned char *)text;
        size_t septets = 0, utf16 = 0;
        bool gsm7 = true;
        size_t i = 0;
        while (i < len) {
                uint32_t cp;
                size_t n = util_utf8_next(s + i, len - i, &cp);
                if (n == 0)
                        return -1;
                i += n;
                utf16 += cp > 0xFFFF ? 2 : 1;
                int c = gsm_septets(cp);
                if (c == 0)
                        gsm7 = false;
                septets += (size_t)c;
        }
        if (gsm7) {
                out->enc = GSM_ENC_GSM7;
                out->units = septets;
                out->parts = parts_for(septets, 160, 153);
                out->per_part = out->parts == 1 ? 160 : 153;
        } else {
                out->enc = GSM_ENC_UCS2;
                out->units = utf16;
                out->parts = parts_for(utf16, 70, 67);
                out->per_part = out->parts == 1 ? 70 : 67;
        }
        return 0;
}
