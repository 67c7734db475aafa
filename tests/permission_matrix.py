"""The permission matrix: what every role may open, for every URL pattern and API operation.

Letters, one per role in this order:
    anonymous  resident  clerk_a  clerk_b  reviewer_x  reviewer_y  fund_officer  auditor  provider  admin
A = allowed (2xx, a redirect that is not to the login page, or 400/409/422: reached, refused by a rule
    about the request or the object's state);
D = denied (401, 403, 404, or a redirect to the login page);
O = own only: the role's own side allowed and the other side denied (see tests/permission_world.py).

A row is "<url name>" (GET), "POST <url name>" for a view that only takes POST, "GET /api/…" for an API
operation as in /api/openapi.json; a parametrised URL names the object kind that fills it:
    "web:resident_detail": ("resident", "D O O O A A D A D A"),
POST rows send an empty form (web) or a minimal valid body built from the schema (API): they check who
gets past the gate (login, role, object scope); what the role may then do is tested in each area.

"admin" is the centre's administrator with the Django-admin rights of the demo's centre login
(view accounts and residents, add and change providers). ADMIN_MODELS says, for each model registered
in the Django admin, what that administrator may do there ("v" view, "a" add, "c" change, "d" delete);
every other role is denied the whole admin.

New page or operation? Add its row here, with the expectation you intend (run
`PERMISSION_MATRIX_RECORD=1 pytest tests/test_permission_matrix.py` to print what each role gets now).
"""

from __future__ import annotations

# fmt: off
# Columns: anonymous resident clerk_a clerk_b reviewer_x reviewer_y fund_officer auditor provider admin
PAGES: dict[str, str | tuple[str, str]] = {
    "api:openapi-json":                                  "A A A A A A A A A A",
    "api:openapi-view":                                  "A A A A A A A A A A",
    "api:api-root":                                      "D D D D D D D D D D",  # ninja's root: nothing there
    "set_language":                                      "A A A A A A A A A A",
    "security:otp":                                      "D A A A A A A A A A",
    "web:home":                                          "A A A A A A A A A A",
    "web:login":                                         "A A A A A A A A A A",
    "POST web:logout":                                   "A A A A A A A A A A",
    "web:workbench":                                     "D A A A A A A A A A",
    "web:resident_list":                                 "D D A A A A D A D A",
    "web:resident_detail":                               ("resident", "D O O O A A D A D A"),
    "POST web:resident_reveal":                          ("resident", "D O O O A A D A D A"),  # reviewers reach the form; the service refuses them (message, no reveal)
    "web:audit_log":                                     "D D D D D D D A D A",
    "web:claims_my_list":                                "D A A A A A A A A A",
    "web:claims_new":                                    "D A D D D D D D D D",
    "web:claims_new_form":                               ("claim_item", "D A D D D D D D D D"),
    "web:claims_notices":                                "D A A A A A A A A A",
    "web:claims_track":                                  "A A A A A A A A A A",
    "web:claims_detail":                                 ("claim", "D O O O O O D A D A"),
    "POST web:claims_supply":                            ("claim", "D O O O O O D A D A"),
    "POST web:claims_withdraw":                          ("claim", "D O O O O O D A D A"),
    "POST web:claims_recheck":                           ("claim", "D O O O O O D A D A"),
    "web:review_queue":                                  "D D D D A A D D D D",
    "web:review_detail":                                 ("claim", "D D D D O O D D D D"),
    "web:review_evidence":                               ("claim", "D D D D O O D D D D"),
    "POST web:review_start":                             ("claim", "D D D D O O D D D D"),
    "POST web:review_approve":                           ("claim", "D D D D O O D D D D"),
    "POST web:review_reject":                            ("claim", "D D D D O O D D D D"),
    "POST web:review_request_evidence":                  ("claim", "D D D D O O D D D D"),
    "POST web:review_recheck":                           ("claim", "D D D D O O D D D D"),
    "web:window_home":                                   "D D A A D D D D D D",
    "web:window_pick":                                   ("resident", "D D O O D D D D D D"),
    "web:window_new_form":                               ("window_item", "D D O O D D D D D D"),
    "web:window_receipt":                                ("claim", "D D O O D D D D D D"),
    "web:window_receipt_pdf":                            ("claim", "D D O O D D D D D D"),
    "web:scenes_list":                                   "D A A A A A A A A A",
    "web:scene_create":                                  "D D D D D D D D D A",
    "web:scene_detail":                                  ("scene", "D A A A A A A A A A"),
    "POST web:scene_publish":                            ("scene", "D D D D D D D D D A"),
    "POST web:scene_rank":                               ("scene", "D D D D D D D D D A"),
    "POST web:scene_notice_publish":                     ("scene", "D D D D D D D D D A"),
    "POST web:scene_finalise":                           ("scene", "D D D D D D D D D A"),
    "web:scene_apply":                                   ("scene", "D A A A D D D D D D"),
    "web:scene_final":                                   ("scene", "D D D D D D D D D D"),  # no final list yet on the matrix's date (notice period): 404 for all
    "web:scene_final_xlsx":                              ("scene", "D D D D D D D D D D"),  # no final list yet: 404 for all
    "web:scene_run_detail":                              ("run", "D D D D D D D A D A"),
    "web:scene_applications":                            "D A A A A A A A A A",
    "web:scene_application_detail":                      ("application", "D O O O A A D A D A"),
    "POST web:scene_application_withdraw":               ("application", "D O O O A A D A D A"),
    "POST web:scene_application_object":                 ("application", "D O O O A A D A D A"),
    "POST web:scene_application_outcome":                ("application", "D O O O A A D A D A"),
    "web:scene_reviews":                                 "D D D D A A D A D A",
    "POST web:scene_check_decide":                       ("check", "D D D D O O D A D A"),
    "web:scene_objection_detail":                        ("objection", "D O O O O O D A D A"),
    "web:notice_list":                                   "A A A A A A A A A A",
    "web:notice_verify":                                 "A A A A A A A A A A",
    "web:notice_detail":                                 ("notice", "A A A A A A A A A A"),
    "web:notice_version":                                ("notice", "A A A A A A A A A A"),
    "web:notice_xlsx":                                   ("notice", "A A A A A A A A A A"),
    "web:notice_pdf":                                    ("notice", "A A A A A A A A A A"),
    "web:welfare_offer_list":                            "A A A A A A A A A A",
    "web:welfare_offer_detail":                          ("offer", "A A A A A A A A A A"),
    "POST web:welfare_offer_redeem":                     ("offer", "D A A A A A A A A A"),
    "web:welfare_offer_picture":                         ("offer", "D D D D D D D D D D"),  # the offers have no picture: 404 for all
    "web:welfare_offer_winners":                         ("offer", "A A A A A A A A A A"),
    "web:welfare_certificate_list":                      "D A D D D D D D D D",
    "web:welfare_certificate_detail":                    ("certificate", "D O D D D D D D D D"),
    "web:welfare_certificate_check":                     "D D D D D D D D A D",
    "POST web:welfare_certificate_use":                  "D D D D D D D D A D",
    "web:welfare_service_list":                          "A A A A A A A A A A",
    "web:welfare_manage":                                "D D D D D D D D A A",
    "POST web:welfare_offer_publish":                    ("offer", "D D D D D D D D D A"),
    "POST web:welfare_offer_cancel":                     ("offer", "D D D D D D D D D A"),
    "web:scoring_points":                                "D A D D D D D D D D",
    "web:scoring_estimate":                              "A A A A A A A A A A",
    "web:scoring_policies":                              "D D D D D D D D D A",
    "web:scoring_policy_detail":                         ("policy", "D D D D D D D D D A"),
    "POST web:scoring_policy_copy":                      ("policy", "D D D D D D D D D A"),
    "POST web:scoring_policy_publish":                   ("policy", "D D D D D D D D D A"),  # empty form: refused with a message
    "web:scoring_policy_whatif":                         ("policy", "D D D D D D D D D A"),
    "web:scoring_policy_whatif_status":                  ("policy", "D D D D D D D D D A"),  # 400 without ?job=
    "web:charity_report_index":                          "A A A A A A A A A A",
    "web:charity_report":                                ("year", "A A A A A A A A A A"),
    "web:charity_report_pdf":                            ("year", "A A A A A A A A A A"),
    "web:charity_case_apply":                            "D A D D D D D D D D",
    "web:charity_window_apply":                          "D D A A D D D D D D",
    "web:charity_my_cases":                              "D A D D D D D D D D",
    "web:charity_my_verifications":                      "D D A A A A A A D A",
    "web:charity_case_list":                             "D D D D D D A A D D",
    "web:charity_case_detail":                           ("case", "D O O O O O A A D D"),
    "POST web:charity_case_assign":                      ("case", "D O O O O O A A D D"),
    "POST web:charity_case_verify":                      ("case", "D O O O O O A A D D"),
    "POST web:charity_case_decide":                      ("case", "D O O O O O A A D D"),
    "POST web:charity_case_urgent":                      ("case", "D O O O O O A A D D"),
    "POST web:charity_case_withdraw":                    ("case", "D O O O O O A A D D"),
    "POST web:charity_evidence_add":                     ("case", "D O O O O O A A D D"),
    "POST web:charity_conflict_declare":                 ("case", "D D O O O O A A D D"),
    "web:charity_refusal_letter":                        ("case", "D D D D D D D D D D"),  # no refused case in the world: 404 for all
    "web:charity_refusal_letter_pdf":                    ("case", "D D D D D D D D D D"),  # no refused case in the world: 404 for all
    "POST web:charity_letter_deliver":                   ("case", "D O O O O O A A D D"),
    "POST web:charity_case_disburse":                    ("case", "D O O O O O A A D D"),
    "POST web:charity_grant_return":                     ("case", "D O O O O O A A D D"),
    "web:charity_evidence_download":                     ("case_evidence", "D D O O O O A D D D"),
    "web:charity_ledger":                                "D D D D D D A A D D",
    "POST web:charity_entry_reverse":                    ("ledger_entry", "D D D D D D A A D D"),
    "web:charity_donation_list":                         "D D D D D D A A D D",
    "web:charity_donation_create":                       "D D D D D D A D D D",
    "web:charity_donation_receipt":                      ("donation", "D D D D D D A A D D"),
    "web:charity_donation_receipt_pdf":                  ("donation", "D D D D D D A A D D"),
    "web:centre_announcement_list":                      "A A A A A A A A A A",
    "web:centre_announcement_detail":                    ("announcement", "A A A A A A A A A A"),
    "web:centre_announcement_manage":                    "D D D D D D D D D A",
    "web:centre_announcement_create":                    "D D D D D D D D D A",
    "web:centre_announcement_edit":                      ("announcement", "D D D D D D D D D A"),
    "POST web:centre_announcement_publish":              ("announcement", "D D D D D D D D D A"),  # already published: refused with a message
    "POST web:centre_announcement_withdraw":             ("announcement", "D D D D D D D D D A"),  # no reason: refused with a message
    "web:centre_timeline":                               "A A A A A A A A A A",
    "web:centre_timeline_year":                          ("year", "A A A A A A A A A A"),
    "web:centre_dashboard":                              "D D D D D D D A D A",
    "web:centre_dashboard_xlsx":                         ("dashboard_section", "D D D D D D D A D A"),
    "web:centre_jobs":                                   "D D D D D D D A D A",
    "POST web:centre_job_recompute_start":               "D D D D D D D D D A",  # no date: refused with a message
    "web:centre_job_detail":                             ("job", "D D D D D D D A D A"),
    "web:centre_job_status":                             ("job", "D D D D D D D A D A"),
}

API: dict[str, str | tuple[str, str]] = {
    "GET /api/system/health":                                    "A A A A A A A A A A",
    "GET /api/system/audit/verify":                              "D D D D D D D A D A",
    "GET /api/me":                                               "D A A A A A A A A A",
    "GET /api/residents":                                        "D A A A A A A A A A",
    "GET /api/residents/{resident_id}":                          ("resident", "D O O O A A D A D A"),
    "POST /api/residents/{resident_id}/reveal":                  ("resident", "D D O O D D D A D A"),
    "GET /api/workdays/deadline":                                "A A A A A A A A A A",
    "GET /api/workdays/count":                                   "A A A A A A A A A A",
    "POST /api/scoring/estimate":                                "A A A A A A A A A A",
    "POST /api/scoring/import":                                  "D D D D A A D D D D",  # reviewers (their department); no file: 422
    "GET /api/claims/items":                                     "D A A A A A A A A A",
    "GET /api/claims/review-period":                             "A A A A A A A A A A",
    "GET /api/claims/track":                                     ("claim", "A A A A A A A A A A"),
    "GET /api/claims/queue/counts":                              "D A A A A A A A A A",
    "GET /api/claims":                                           "D A A A A A A A A A",
    "POST /api/claims":                                          ("resident", "D O O O D D D D D D"),
    "GET /api/claims/{claim_id}":                                ("claim", "D O O O O O D A D A"),
    "GET /api/claims/{claim_id}/evidence/{evidence_id}":         ("claim", "D D D D O O D D D D"),
    "POST /api/claims/{claim_id}/start-review":                  ("claim", "D D D D O O D D D D"),
    "POST /api/claims/{claim_id}/approve":                       ("claim", "D D D D O O D D D D"),
    "POST /api/claims/{claim_id}/reject":                        ("claim", "D D D D O O D D D D"),
    "POST /api/claims/{claim_id}/request-evidence":              ("claim", "D D D D O O D D D D"),
    "POST /api/claims/{claim_id}/supply-evidence":               ("claim", "D O O O D D D D D D"),
    "POST /api/claims/{claim_id}/withdraw":                      ("claim", "D O O O D D D D D D"),
    "POST /api/claims/{claim_id}/recheck":                       ("claim", "D O O O D D D D D D"),
    "POST /api/claims/{claim_id}/recheck-decision":              ("claim", "D D D D O O D D D D"),
    "GET /api/scenes":                                           "D A A A A A A A A A",
    "GET /api/scenes/applications":                              "D A A A A A A A A A",
    "GET /api/scenes/applications/{application_id}":             ("application", "D O O O A A D A D A"),
    "POST /api/scenes/applications/{application_id}/outcomes":   ("application", "D D D D D A D D D A"),
    "GET /api/scenes/checks":                                    "D A A A A A A A A A",
    "POST /api/scenes/checks/{check_id}":                        ("check", "D D D D O O D D D A"),
    "GET /api/scenes/objections":                                "D A A A A A A A A A",
    "POST /api/scenes/objections/{objection_id}/decision":       ("objection", "D D D D O O D D D A"),
    "POST /api/scenes/applications/{application_id}/objections": ("application", "D O O O D D D D D D"),
    "GET /api/scenes/notices/verify":                            "A A A A A A A A A A",
    "GET /api/scenes/notices/{scene_id}":                        ("notice", "A A A A A A A A A A"),
    "GET /api/scenes/notices/{scene_id}/rows":                   ("notice", "A A A A A A A A A A"),
    "GET /api/scenes/{scene_id}":                                ("scene", "D A A A A A A A A A"),
    "POST /api/scenes/{scene_id}/applications":                  ("scene_applicant", "D A O O D D D D D D"),
    "GET /api/scenes/{scene_id}/runs":                           ("scene", "D A A A A A A A A A"),
    "POST /api/scenes/{scene_id}/rank":                          ("scene", "D D D D D D D D D A"),
    "POST /api/scenes/{scene_id}/notice":                        ("scene", "D D D D D D D D D A"),
    "POST /api/scenes/{scene_id}/finalise":                      ("scene", "D D D D D D D D D A"),
    "GET /api/scenes/{scene_id}/final":                          ("scene", "D D D D D D D D D D"),  # no final list yet: 404 for all
    "GET /api/welfare/ping":                                     "A A A A A A A A A A",
    "GET /api/welfare/offers":                                   "A A A A A A A A A A",
    "GET /api/welfare/offers/{offer_id}":                        ("offer", "A A A A A A A A A A"),
    "POST /api/welfare/offers/{offer_id}/redeem":                ("offer", "D A D D D D D D D D"),
    "GET /api/welfare/certificates":                             "D A A A A A A A A A",
    "POST /api/welfare/certificates/verify":                     "D D D D D D D D A D",
    "POST /api/welfare/certificates/{code}/use":                 ("certificate", "D D D D D D D D O D"),
    "GET /api/charity/cases":                                    "D A A A A A A A A A",
    "POST /api/charity/cases":                                   "D A D D D D D D D D",
    "GET /api/charity/cases/{case_id}":                          ("case", "D O O O O O A A D D"),
    "POST /api/charity/cases/{case_id}/verifiers":               ("case", "D D D D D D A D D D"),
    "POST /api/charity/cases/{case_id}/verifications":           ("case", "D D O O O O D D D D"),
    "POST /api/charity/cases/{case_id}/decision":                ("case", "D D D D D D A D D D"),
    "POST /api/charity/cases/{case_id}/disbursement":            ("case", "D D D D D D A D D D"),
    "GET /api/charity/donations":                                "D A A A A A A A A A",
    "POST /api/charity/donations":                               "D D D D D D A D D D",
    "GET /api/charity/ledger":                                   "D D D D D D A A D D",
    "GET /api/charity/reports/{year}":                           ("year", "A A A A A A A A A A"),
    "GET /api/centre/announcements":                             "A A A A A A A A A A",
    "GET /api/centre/announcements/{announcement_id}":           ("announcement", "A A A A A A A A A A"),
    "POST /api/centre/announcements":                            "D D D D D D D D D A",
    "POST /api/centre/announcements/{announcement_id}/publish":  ("announcement", "D D D D D D D D D A"),
    "POST /api/centre/announcements/{announcement_id}/withdraw": ("announcement", "D D D D D D D D D A"),
    "GET /api/centre/timeline":                                  "A A A A A A A A A A",
    "GET /api/centre/dashboard/{section}":                       ("dashboard_section", "D D D D D D D A D A"),
    "GET /api/centre/jobs":                                      "D D D D D D D A D A",
    "GET /api/centre/jobs/{source}/{job_id}":                    ("job", "D D D D D D D A D A"),
}

ADMIN_SITE: dict[str, str | tuple[str, str]] = {
    "admin:index":                                       "D D D D D D D D D A",
    "admin:login":                                       "A A A A A A A A A A",
    "POST admin:logout":                                 "A A A A A A A A A A",
    "admin:password_change":                             "D D D D D D D D D A",
    "admin:password_change_done":                        "D D D D D D D D D A",
    "admin:autocomplete":                                "D D D D D D D D D D",
    "admin:jsi18n":                                      "D D D D D D D D D A",
    "admin:view_on_site":                                ("admin_view_on_site", "D D D D D D D D D D"),
    "admin:app_list":                                    ("admin_app", "D D D D D D D D D A"),
    "admin/(?P<url>.*)$":                                ("unknown_path", "D D D D D D D D D D"),
}

ADMIN_MODELS: dict[str, str] = {
    "accounts.department": "v",
    "accounts.provider": "vac",
    "accounts.town": "v",
    "accounts.user": "v",
    "auth.group": "",
    "axes.accessattempt": "",
    "axes.accessfailurelog": "",
    "axes.accesslog": "",
    "claims.claim": "",
    "claims.reviewperiod": "",
    "django_tasks_database.dbtaskresult": "",
    "notifications.notice": "",
    "notifications.smsmessage": "",
    "otp_totp.totpdevice": "",
    "residents.householdmember": "v",
    "residents.residencepermit": "v",
    "residents.resident": "v",
    "scoring.fact": "",
    "scoring.factrevision": "",
    "scoring.policyrecord": "",
    "scoring.recomputerun": "",
    "scoring.scoresnapshot": "",
    "welfare.certificate": "v",  # the welfare admin grants the centre role itself
    "welfare.offer": "vac",  # the welfare admin grants the centre role itself
    "welfare.redemption": "v",  # the welfare admin grants the centre role itself
    "welfare.servicecard": "vac",  # the welfare admin grants the centre role itself
    "workdays.calendaryear": "v",
}
# fmt: on
