/* eas_contact.c — placeholder: the Contacts class is being written. */
#include "eas_pim.h"

const eas_pim_class eas_pim_contacts = {"Contacts", "text/vcard", "vcf", NULL, NULL, NULL, NULL, NULL};
