"""Rules the database itself enforces, whatever path the write takes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from hub.catalog.models import Entity, EntityField, FieldType, SourceOfTruth
from hub.mappings.models import Direction, Mapping, MappingRule
from hub.systems.models import System

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer() -> Entity:
    entity = Entity.objects.create(name="Customer")
    EntityField.objects.create(entity=entity, name="email", type=FieldType.EMAIL)
    return entity


@pytest.fixture
def crm() -> System:
    return System.objects.create(name="CRM", kind="http_json")


@pytest.fixture
def erp() -> System:
    return System.objects.create(name="ERP", kind="http_json")


def test_a_second_source_of_truth_for_an_entity_is_refused_by_the_database(customer, crm, erp):
    SourceOfTruth.objects.create(entity=customer, system=crm)
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceOfTruth.objects.create(entity=customer, system=erp)
    assert SourceOfTruth.objects.count() == 1


def test_a_second_source_of_truth_for_a_field_is_refused_but_a_field_may_override_the_entity(
    customer, crm, erp
):
    email = customer.fields.get(name="email")
    SourceOfTruth.objects.create(entity=customer, system=crm)
    SourceOfTruth.objects.create(entity=customer, field=email, system=erp)  # an override is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceOfTruth.objects.create(entity=customer, field=email, system=crm)


def test_a_target_mapped_twice_is_refused_by_the_database(customer, crm):
    mapping = Mapping.objects.create(system=crm, entity=customer, direction=Direction.INBOUND)
    MappingRule.objects.create(mapping=mapping, source="email", target="email")
    with pytest.raises(IntegrityError), transaction.atomic():
        MappingRule.objects.create(mapping=mapping, source="mail", target="email")


def test_one_mapping_per_system_entity_and_direction(customer, crm):
    Mapping.objects.create(system=crm, entity=customer, direction=Direction.INBOUND)
    Mapping.objects.create(system=crm, entity=customer, direction=Direction.OUTBOUND)
    with pytest.raises(IntegrityError), transaction.atomic():
        Mapping.objects.create(system=crm, entity=customer, direction=Direction.INBOUND)


def test_field_type_rules_are_constraints(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        EntityField.objects.create(entity=customer, name="status", type=FieldType.ENUM, enum_values="")
    with pytest.raises(IntegrityError), transaction.atomic():
        EntityField.objects.create(entity=customer, name="account", type=FieldType.REFERENCE)
    with pytest.raises(IntegrityError), transaction.atomic():
        EntityField.objects.create(entity=customer, name="email", type=FieldType.TEXT)


def test_the_admin_form_explains_a_duplicate_source_of_truth(customer, crm, erp, client, business_admin):
    SourceOfTruth.objects.create(entity=customer, system=crm)
    client.force_login(business_admin)
    response = client.post(
        "/admin/catalog/sourceoftruth/add/",
        {"entity": customer.pk, "field": "", "system": erp.pk, "note": ""},
    )
    assert response.status_code == 200
    assert "This entity already has a source of truth." in response.content.decode()
    assert SourceOfTruth.objects.count() == 1


def test_a_broken_format_rule_is_refused_by_the_model_whatever_the_path(customer):
    from django.core.exceptions import ValidationError

    field = EntityField(entity=customer, name="code", format_rule="[A-")
    with pytest.raises(ValidationError) as error:
        field.full_clean()
    assert "format_rule" in error.value.message_dict
