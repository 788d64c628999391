#ifndef HUITONG_CQRENCODE_SHIM_H
#define HUITONG_CQRENCODE_SHIM_H

// libqrencode (Debian's libqrencode-dev): the QR codes on printed licences and in 亮证.
#include <qrencode.h>

#endif
