/* eas_oof.h — out-of-office settings (Settings Oof Get/Set) and the automatic replies sent while
 * it is on (RFC 3834 rules; at most once per sender per period). The delivery hook is declared in
 * eas_delivered.h. */
#ifndef EAS_OOF_H
#define EAS_OOF_H

#include "eas_delivered.h"

#endif
