/* eas_cal.c — placeholder: the Calendar class is being written. */
#include "eas_pim.h"

const eas_pim_class eas_pim_calendar = {"Calendar", "text/calendar", "ics", NULL, NULL, NULL, NULL, NULL};
