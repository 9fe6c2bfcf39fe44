/* eas_task.c — placeholder: the Tasks class is being written. */
#include "eas_pim.h"

const eas_pim_class eas_pim_tasks = {"Tasks", "text/calendar", "ics", NULL, NULL, NULL, NULL, NULL};
