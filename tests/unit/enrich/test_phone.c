/* SPDX-License-Identifier: Apache-2.0 */
/* E.164 normalisation of the phone forms partners send. */
#include "phone.h"
#include "testutil.h"

int main(void)
{
        static const struct {
                const char *in, *out; /* out NULL: invalid */
        } cases[] = {
                {"+91 90000 12345", "+919000012345"},
                {"+91-90000-12311", "+919000012311"},
                {"9000012377", "+919000012377"},
                {"09000012377", "+919000012377"},
                {"919000012377", "+919000012377"},
                {"00919000012377", "+919000012377"},
                {"+91 (900) 001-2377", "+919000012377"},
                {"९०००० १२३४५", "+919000012345"},
                {"+९१ ९८२९० १२३४५", "+919829012345"},
                {"0141-2345678", "+911412345678"},   /* Jaipur landline */
                {"+44 20 7946 0958", "+442079460958"}, /* not India: kept as E.164 */
                {"+1 415 555 0100", "+14155550100"},
                {"12345", NULL},
                {"1800123456", NULL},     /* a toll-free prefix is not a person */
                {"+91 12345", NULL},
                {"900001234", NULL},      /* 9 digits */
                {"90000123456", NULL},    /* 11 digits without a 0 */
                {"call me", NULL},
                {"", NULL},
                {"+91+9000012345", NULL},
                {"+0 123456789", NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char out[PHONE_E164_MAX];
                int rc = phone_e164(cases[i].in, out, sizeof(out));
                if (cases[i].out) {
                        CHECK_MSG(rc == 0, "%s rejected", cases[i].in);
                        CHECK_STR(out, cases[i].out);
                } else {
                        CHECK_MSG(rc == -1, "%s accepted as %s", cases[i].in, out);
                        CHECK_STR(out, "");
                }
        }
        {
                char small[8];
                CHECK_INT(phone_e164("9000012377", small, sizeof(small)), -1);
        }
        return test_summary("enrich_phone");
}
