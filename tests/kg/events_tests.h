/* The event-log tests of the store suite (tests/kg/test_events.c). */
#ifndef KGREC_TESTS_KG_EVENTS_TESTS_H
#define KGREC_TESTS_KG_EVENTS_TESTS_H

#include <check.h>

TCase *kgr_test_events_tcase(void);

#endif
