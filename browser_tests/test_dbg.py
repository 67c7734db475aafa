import pytest
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

def test_one(phone):
    from django.db import connection
    from xinshimin.claims.models import ReviewPeriod
    print("one", ReviewPeriod.objects.count(), hasattr(connection, "_test_serialized_contents"))
    ReviewPeriod.objects.all().delete()
    page = phone()

def test_two(phone):
    from django.db import connection
    from xinshimin.claims.models import ReviewPeriod
    print("two", ReviewPeriod.objects.count(), hasattr(connection, "_test_serialized_contents"))
