"""The ledger's accounts, and the rules PostgreSQL itself enforces (see the docstring of charity.models).

PostgreSQL only (SQLite, for development, relies on the services and the CHECK constraints):
* composite foreign keys: both verifications of a decision belong to the decided case;
* a case may be approved, refused or disbursed only with a matching decision row;
* a verification is never by the applicant's own login, nor by someone with a declared conflict, and
  matches its assignment; a decision is never taken by the applicant, nor rests on a verifier who is
  the applicant or has a declared conflict;
* journal entries, journal lines, donations, verifications and decisions are append-only;
* every journal entry balances (debits = credits, at least two lines), checked at commit.
"""

from django.db import migrations

ACCOUNTS = (
    ("fund_bank", "基金银行存款", "debit", True),
    ("donations_income", "捐赠收入", "credit", False),
    ("grants_expense", "救助支出", "debit", False),
    ("grant_returns", "救助款退回", "credit", False),
)

PG_GUARDS = """
ALTER TABLE charity_casedecision
    ADD CONSTRAINT charity_decision_a_of_case FOREIGN KEY (verification_a_id, case_id)
        REFERENCES charity_verification (id, case_id) DEFERRABLE INITIALLY IMMEDIATE,
    ADD CONSTRAINT charity_decision_b_of_case FOREIGN KEY (verification_b_id, case_id)
        REFERENCES charity_verification (id, case_id) DEFERRABLE INITIALLY IMMEDIATE;

CREATE OR REPLACE FUNCTION charity_case_needs_decision() RETURNS trigger AS $$
BEGIN
    IF NEW.status IN ('approved', 'refused', 'disbursed') AND NOT EXISTS (
        SELECT 1 FROM charity_casedecision d
        WHERE d.case_id = NEW.id
          AND d.outcome = CASE WHEN NEW.status = 'refused' THEN 'refused' ELSE 'approved' END
    ) THEN
        RAISE EXCEPTION 'charity case %: status % needs a decision resting on two verifications', NEW.number, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER charity_case_needs_decision
    BEFORE INSERT OR UPDATE OF status ON charity_hardshipcase
    FOR EACH ROW EXECUTE FUNCTION charity_case_needs_decision();

CREATE OR REPLACE FUNCTION charity_user_may_verify(p_case bigint, p_user bigint) RETURNS boolean AS $$
    SELECT NOT EXISTS (
        SELECT 1 FROM charity_hardshipcase c JOIN residents_resident r ON r.id = c.applicant_id
        WHERE c.id = p_case AND r.user_id = p_user
    ) AND NOT EXISTS (
        SELECT 1 FROM charity_hardshipcase c JOIN charity_conflictdeclaration k ON k.resident_id = c.applicant_id
        WHERE c.id = p_case AND k.user_id = p_user
    );
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION charity_verification_guard() RETURNS trigger AS $$
BEGIN
    IF NOT charity_user_may_verify(NEW.case_id, NEW.verifier_id) THEN
        RAISE EXCEPTION 'charity case %: user % is the applicant or declared a conflict and may not verify',
            NEW.case_id, NEW.verifier_id USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM charity_verifierassignment a
        WHERE a.id = NEW.assignment_id AND a.case_id = NEW.case_id AND a.verifier_id = NEW.verifier_id
    ) THEN
        RAISE EXCEPTION 'charity case %: verification does not match its assignment', NEW.case_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER charity_verification_guard
    BEFORE INSERT ON charity_verification
    FOR EACH ROW EXECUTE FUNCTION charity_verification_guard();

CREATE OR REPLACE FUNCTION charity_decision_guard() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM charity_hardshipcase c JOIN residents_resident r ON r.id = c.applicant_id
        WHERE c.id = NEW.case_id AND r.user_id = NEW.decided_by_id
    ) THEN
        RAISE EXCEPTION 'charity case %: the applicant may not decide their own case', NEW.case_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (
        SELECT 1 FROM charity_verification v
        WHERE v.id IN (NEW.verification_a_id, NEW.verification_b_id)
          AND NOT charity_user_may_verify(NEW.case_id, v.verifier_id)
    ) THEN
        RAISE EXCEPTION 'charity case %: a decision may not rest on the applicant''s or a conflicted verification',
            NEW.case_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER charity_decision_guard
    BEFORE INSERT ON charity_casedecision
    FOR EACH ROW EXECUTE FUNCTION charity_decision_guard();

CREATE OR REPLACE FUNCTION charity_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (correct the ledger with a reversing entry)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION charity_check_entry_balanced(p_entry bigint) RETURNS void AS $$
DECLARE
    total_debit numeric;
    total_credit numeric;
    line_count integer;
BEGIN
    SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0), COUNT(*)
      INTO total_debit, total_credit, line_count
      FROM charity_journalline WHERE entry_id = p_entry;
    IF line_count < 2 OR total_debit <> total_credit THEN
        RAISE EXCEPTION 'charity journal entry % does not balance (debits %, credits %, % lines)',
            p_entry, total_debit, total_credit, line_count USING ERRCODE = 'check_violation';
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION charity_entry_balanced() RETURNS trigger AS $$
BEGIN
    PERFORM charity_check_entry_balanced(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER charity_entry_balanced
    AFTER INSERT ON charity_journalentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION charity_entry_balanced();

CREATE OR REPLACE FUNCTION charity_line_balanced() RETURNS trigger AS $$
BEGIN
    PERFORM charity_check_entry_balanced(NEW.entry_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER charity_line_balanced
    AFTER INSERT ON charity_journalline DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION charity_line_balanced();
CREATE TRIGGER charity_journalentry_append_only
    BEFORE UPDATE OR DELETE ON charity_journalentry
    FOR EACH ROW EXECUTE FUNCTION charity_append_only();
CREATE TRIGGER charity_journalline_append_only
    BEFORE UPDATE OR DELETE ON charity_journalline
    FOR EACH ROW EXECUTE FUNCTION charity_append_only();
CREATE TRIGGER charity_donation_append_only
    BEFORE UPDATE OR DELETE ON charity_donation
    FOR EACH ROW EXECUTE FUNCTION charity_append_only();
CREATE TRIGGER charity_verification_append_only
    BEFORE UPDATE OR DELETE ON charity_verification
    FOR EACH ROW EXECUTE FUNCTION charity_append_only();
CREATE TRIGGER charity_casedecision_append_only
    BEFORE UPDATE OR DELETE ON charity_casedecision
    FOR EACH ROW EXECUTE FUNCTION charity_append_only();
"""

PG_DROP_GUARDS = """
DROP TRIGGER IF EXISTS charity_journalentry_append_only ON charity_journalentry;
DROP TRIGGER IF EXISTS charity_journalline_append_only ON charity_journalline;
DROP TRIGGER IF EXISTS charity_donation_append_only ON charity_donation;
DROP TRIGGER IF EXISTS charity_verification_append_only ON charity_verification;
DROP TRIGGER IF EXISTS charity_casedecision_append_only ON charity_casedecision;
DROP TRIGGER IF EXISTS charity_line_balanced ON charity_journalline;
DROP TRIGGER IF EXISTS charity_entry_balanced ON charity_journalentry;
DROP FUNCTION IF EXISTS charity_line_balanced();
DROP FUNCTION IF EXISTS charity_entry_balanced();
DROP FUNCTION IF EXISTS charity_check_entry_balanced(bigint);
DROP FUNCTION IF EXISTS charity_append_only();
DROP TRIGGER IF EXISTS charity_decision_guard ON charity_casedecision;
DROP FUNCTION IF EXISTS charity_decision_guard();
DROP TRIGGER IF EXISTS charity_verification_guard ON charity_verification;
DROP FUNCTION IF EXISTS charity_verification_guard();
DROP FUNCTION IF EXISTS charity_user_may_verify(bigint, bigint);
DROP TRIGGER IF EXISTS charity_case_needs_decision ON charity_hardshipcase;
DROP FUNCTION IF EXISTS charity_case_needs_decision();
ALTER TABLE charity_casedecision
    DROP CONSTRAINT IF EXISTS charity_decision_a_of_case,
    DROP CONSTRAINT IF EXISTS charity_decision_b_of_case;
"""


def seed_accounts(apps, schema_editor):
    Account = apps.get_model("charity", "Account")
    for code, name, side, never_negative in ACCOUNTS:
        Account.objects.get_or_create(
            code=code, defaults={"name": name, "normal_side": side, "never_negative": never_negative}
        )


def unseed_accounts(apps, schema_editor):
    apps.get_model("charity", "Account").objects.filter(code__in=[a[0] for a in ACCOUNTS]).delete()


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GUARDS, params=None)


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP_GUARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("charity", "0001_cases_verifications_ledger"),
        ("residents", "0001_residents_permits_household"),
    ]

    operations = [
        migrations.RunPython(seed_accounts, unseed_accounts),
        migrations.RunPython(add_guards, drop_guards),
    ]
