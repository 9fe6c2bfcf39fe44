/* eas_directory.h — registers mod_eas's optional functions (mod_eas.h) in register_hooks. */
#ifndef EAS_DIRECTORY_H
#define EAS_DIRECTORY_H

void eas_directory_register(void);

#endif
