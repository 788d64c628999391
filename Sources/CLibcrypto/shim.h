#ifndef HUITONG_CLIBCRYPTO_SHIM_H
#define HUITONG_CLIBCRYPTO_SHIM_H

// The parts of OpenSSL 3's libcrypto that HuitongCrypto calls. Every function used is a real function (no macro or
// varargs), so no C code of our own is needed: Swift calls libcrypto directly.
#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/bn.h>
#include <openssl/asn1.h>

#endif
