/* Audit log as RDF (PROV-O) and as an HTML report. */
#include "ranker/audit_internal.h"
#include "kg/internal.h"

int kgr_audit_export(const char *log_path, void *out, const char *format)
{
	(void)log_path; (void)out; (void)format;
	return kgr__error_set(KGR_EUNSUPPORTED, "not yet");
}

int kgr_audit_report_html(const char *log_path, const char *out_path, const kgr_store *store)
{
	(void)log_path; (void)out_path; (void)store;
	return kgr__error_set(KGR_EUNSUPPORTED, "not yet");
}
