#ifndef KGREC_TEST_LLM_HELPER_SERVER_H
#define KGREC_TEST_LLM_HELPER_SERVER_H
int fake_start(void);
void fake_stop(void);
const char *fake_url(void);
long fake_stat(const char *what);
#endif
