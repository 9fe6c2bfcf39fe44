/* eas_note.c — placeholder: the Notes class is being written. */
#include "eas_pim.h"

const eas_pim_class eas_pim_notes = {"Notes", "text/calendar", "ics", NULL, NULL, NULL, NULL, NULL};
