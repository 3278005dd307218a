"""The new-customer form: prefilled phone, inline problems, Ctrl+Enter saves a lead."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from softphone.crm.schema import CustomerLead
from softphone.gui.new_customer import NewCustomerForm, lead_problems


@pytest.fixture
def form(qtbot: QtBot) -> NewCustomerForm:
    widget = NewCustomerForm(default_region="RO")
    qtbot.addWidget(widget)
    widget.resize(460, 560)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitActive(widget)
    widget.start("021 310 2040", call_id="c7", agent="1001")
    return widget


def test_keyboard_entry_and_ctrl_enter_make_a_lead(qtbot: QtBot, form: NewCustomerForm) -> None:
    assert form.inputs["name"].hasFocus()
    assert form.values()["phone"] == "021 310 2040"
    qtbot.keyClicks(form.inputs["name"], "Popescu Andrei")
    qtbot.keyClick(form.inputs["name"], Qt.Key.Key_Tab)
    qtbot.keyClicks(form.inputs["company"], "Magazin Mixt <b>Popescu</b> SRL")
    form.inputs["region"].setFocus()
    form.inputs["region"].insert("București")  # type: ignore[union-attr]
    form.inputs["notes"].setFocus()
    qtbot.keyClicks(form.inputs["notes"], "Found us at the fair")
    with qtbot.waitSignal(form.lead_ready) as saved:
        qtbot.keyClick(form.inputs["notes"], Qt.Key.Key_Return,
                       Qt.KeyboardModifier.ControlModifier)
    lead = saved.args[0]
    assert isinstance(lead, CustomerLead)
    assert lead.name == "Popescu Andrei"
    assert lead.company == "Magazin Mixt <b>Popescu</b> SRL"
    assert lead.phones == ["+40213102040"]
    assert lead.region == "București"
    assert lead.notes == "Found us at the fair"
    assert (lead.call_id, lead.agent) == ("c7", "1001")


def test_missing_name_and_bad_fields_are_shown_inline(qtbot: QtBot,
                                                      form: NewCustomerForm) -> None:
    form.set_value("phone", "call me")
    form.set_value("email", "agnes at kovacs")
    with qtbot.assertNotEmitted(form.lead_ready):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.error("name") == "Enter the caller's name."
    assert "not a phone number" in form.error("phone")
    assert "email" in form.error("email")
    assert form.inputs["name"].hasFocus()
    assert form.inputs["name"].property("invalid") is True
    form.inputs["name"].insert("Kovács Ágnes")  # type: ignore[union-attr]
    form.set_value("phone", "+36 1 234 5678")
    form.set_value("email", "agnes@kovacs-tarsa.hu")
    with qtbot.waitSignal(form.lead_ready) as saved:
        qtbot.keyClick(form.inputs["name"], Qt.Key.Key_Return,
                       Qt.KeyboardModifier.ControlModifier)
    assert saved.args[0].phones == ["+3612345678"]
    assert form.error("name") == ""


def test_problem_appears_when_leaving_the_field(qtbot: QtBot, form: NewCustomerForm) -> None:
    form.set_value("phone", "not a number")
    form.inputs["email"].setFocus()
    qtbot.keyClicks(form.inputs["email"], "nope")
    assert form.error("email") == ""  # not while typing
    qtbot.keyClick(form.inputs["email"], Qt.Key.Key_Tab)
    assert form.error("email") == "This does not look like an email address."
    assert form.error("name") == "Enter the caller's name."  # left empty
    assert form.error("phone") == ""  # not visited yet: quiet


def test_withheld_number_may_stay_empty_and_escape_cancels(qtbot: QtBot,
                                                           form: NewCustomerForm) -> None:
    form.start("")
    form.inputs["name"].insert("محمد رضا حسینی")  # type: ignore[union-attr]
    with qtbot.waitSignal(form.lead_ready) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert saved.args[0].phones == []
    assert saved.args[0].name == "محمد رضا حسینی"
    with qtbot.waitSignal(form.cancelled):
        qtbot.keyClick(form.inputs["name"], Qt.Key.Key_Escape)


def test_lengths_are_bounded() -> None:
    problems = lead_problems({"name": "x" * 201, "notes": "y" * 4001}, "US")
    assert problems == {"name": "At most 200 characters.", "notes": "At most 4000 characters."}
