"""The shared UI pieces render what the pages rely on: ids, classes, texts and handlers
passed in come out in the component tree (pages are checked in test_pages_render)."""

from __future__ import annotations

import reflex as rx

from backoffice.components.dialogs import confirm_dialog, form_dialog
from backoffice.components.fields import custom_field, custom_field_row, read_custom_value
from backoffice.components.tables import Column, Download, Pager, Sort, data_table

ROWS = rx.Var.create([{"id": "1", "name": "王芳"}])


def _js(component: rx.Component) -> str:
    return str(component)


def test_data_table_renders_columns_row_class_and_row_ids():
    js = _js(
        data_table(
            [Column("No.", "id"), Column("Name", cell=lambda r: rx.text(r["name"], id="nm"))],
            ROWS,
            table_id="people",
            row_class="person-row",
            row_props=lambda r: {"id": "person-" + r["id"].to(str)},
        )
    )
    assert '"people"' in js and '"person-row"' in js and '"person-"' in js
    assert '"No."' in js and '"nm"' in js


def test_data_table_shows_the_empty_text_instead_of_an_empty_table():
    js = _js(data_table([Column("No.", "id")], ROWS, empty="Nothing here"))
    assert "Nothing here" in js and "length" in js


def test_data_table_without_empty_text_always_shows_the_table():
    js = _js(data_table([Column("No.", "id")], ROWS))
    assert "Callout" not in js


def test_data_table_pager_sort_downloads_and_loading():
    js = _js(
        data_table(
            [Column("Name", "name", sort_key="name"), Column("No.", "id")],
            ROWS,
            pager=Pager(
                "1-1 of 1",
                rx.console_log("p"),
                rx.console_log("n"),
                rx.Var.create(False),
                rx.Var.create(True),
                "<",
                ">",
            ),
            sort=Sort(rx.Var.create("name"), rx.Var.create("asc"), lambda k: rx.console_log(k)),
            downloads=[Download("CSV", rx.console_log("csv"), element_id="csv-button")],
            loading=rx.Var.create(True),
        )
    )
    assert '"page-prev"' in js and '"page-next"' in js and "1-1 of 1" in js
    assert '"sort-name"' in js and "sort-id" not in js  # only the sortable column
    assert '"csv-button"' in js and "CSV" in js
    assert "Spinner" in js


def test_confirm_dialog_with_radix_closing_wraps_cancel_and_confirm():
    js = _js(
        confirm_dialog(
            "Publish?",
            confirm_label="Publish",
            cancel_label="Cancel",
            on_confirm=rx.console_log("go"),
            open=rx.Var.create(True),
            on_open_change=rx.console_log("closed"),
            confirm_id="confirm-publish",
            description="12 members",
            description_id="publish-count",
        )
    )
    assert "AlertDialog.Cancel" in js and "AlertDialog.Action" in js
    assert '"confirm-publish"' in js and '"publish-count"' in js


def test_confirm_dialog_closed_by_the_page_uses_plain_buttons_and_a_form():
    js = _js(
        confirm_dialog(
            "Adjust points",
            rx.input(name="points", id="points-delta"),
            confirm_label="Confirm",
            cancel_label="Cancel",
            on_confirm=lambda form: rx.console_log(form),
            on_cancel=rx.console_log("cancel"),
            form=True,
            open=rx.Var.create(True),
            confirm_id="points-confirm",
            danger=True,
        )
    )
    assert "AlertDialog.Cancel" not in js and "AlertDialog.Action" not in js
    assert "Form" in js and '"submit"' in js and '"points-confirm"' in js
    assert '"red"' in js


def test_confirm_dialog_opened_by_a_trigger():
    js = _js(
        confirm_dialog(
            "Archive?",
            confirm_label="Archive",
            cancel_label="Cancel",
            on_confirm=rx.console_log("archive"),
            trigger=rx.button("Archive", id="archive-it"),
        )
    )
    assert "AlertDialog.Trigger" in js and '"archive-it"' in js


def test_form_dialog_keeps_its_ids_and_the_form_after_submit():
    js = _js(
        form_dialog(
            "New store",
            rx.input(name="code", id="store-code"),
            open=rx.Var.create(True),
            on_submit=lambda form: rx.console_log(form),
            save_label="Save",
            cancel_label="Cancel",
            save_id="store-save",
            cancel_id="store-cancel",
            form_id="store-form",
        )
    )
    for element_id in ("store-code", "store-save", "store-cancel", "store-form"):
        assert f'"{element_id}"' in js
    assert "Dialog.Close" in js  # no on_cancel: cancel closes through Radix


def test_custom_field_row_splits_a_value_by_what_the_input_needs():
    assert custom_field_row("k", "L", "multi_choice", ["a", "b"], "", ["b"])["chosen"] == ["b"]
    assert custom_field_row("k", "L", "boolean", [], "", True)["checked"] is True
    row = custom_field_row("k", "L", "number", [], "help", 12)
    assert row["value"] == "12" and row["required"] is False and row["help"] == "help"
    assert custom_field_row("k", "L", "text", [], "", None)["value"] == ""


def test_read_custom_value_reads_back_what_the_inputs_send():
    form = {"custom.skin::oily": "on", "custom.skin::dry": "", "custom.vip": "on", "custom.n": 3}
    assert read_custom_value(form, "skin", "multi_choice", ["oily", "dry"]) == ["oily"]
    assert read_custom_value(form, "vip", "boolean", []) is True
    assert read_custom_value(form, "gone", "boolean", []) is False
    assert read_custom_value(form, "n", "number", []) == "3"
    assert read_custom_value(form, "missing", "text", []) == ""


def test_custom_field_renders_every_type_with_the_pages_id_prefix():
    field = rx.Var.create(custom_field_row("wechat", "WeChat", "text", [], "", "wx", required=True))
    js = _js(
        custom_field(
            field, rx.Var.create({"custom.wechat": "bad"}), id_prefix="m-f-", choose_label="Choose"
        )
    )
    assert '"m-f-"' in js and '"custom."' in js and "Choose" in js
    for kind in ("choice", "multi_choice", "boolean", "number", "date", "textarea"):
        assert f'"{kind}"' in js
