"""Preparation letters as PDFs: what is in them, large print, batches, and the trend charts."""

from __future__ import annotations

import re
import subprocess

import pytest

from ourplan.documents.svg_chart import Point, line_chart
from ourplan.preparation import letters
from ourplan.preparation.actions import do_make_pack
from tests.prep_support import ready_cycle, with_address

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", *args, str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_pages(data: bytes, tmp_path) -> int:
    path = tmp_path / "batch.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.fixture
def margaret_pack(clinician, person, practice):
    practice.address, practice.postcode, practice.phone = "1 River Road\nRiverside", "RV1 1AA", "01234 567890"
    practice.save()
    with_address(person)
    return do_make_pack(clinician, ready_cycle(clinician, person))


class TestLetter:
    def test_letter_is_a_pdf_with_the_persons_name_and_their_results_explained(self, margaret_pack, tmp_path):
        data = letters.letter_pdf(margaret_pack)
        assert data.startswith(b"%PDF")
        text = " ".join(pdf_text(data, tmp_path).split())  # lines wrap anywhere: compare words
        assert "Margaret Thompson" in text and "Blood sugar average" in text
        assert "12 High Street" in text and "RV2 3BB" in text  # the address, for the envelope window
        assert "Riverside Medical Practice" in text and "01234 567890" in text  # the letterhead
        assert "higher than the level we agreed" in text
        assert "What matters to you?" in text and "How to send us your answers" in text
        assert "NHS number 943 476 5919" in text and "Page 1 of" in text  # on every page

    def test_only_the_staff_copy_has_the_readability_note(self, margaret_pack, tmp_path):
        assert "Reading age about" in pdf_text(letters.letter_pdf(margaret_pack, staff_copy=True), tmp_path)
        assert "Reading age" not in pdf_text(letters.letter_pdf(margaret_pack), tmp_path)

    def test_large_print_uses_a_bigger_font(self, margaret_pack, tmp_path):
        def body_word_height(data: bytes) -> float:
            # pdftotext -bbox gives each word's box; the height of a body-text word is its font size.
            html = pdf_text(data, tmp_path, "-bbox")
            word = re.search(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">appointment\.', html)
            return float(word.group(2)) - float(word.group(1))

        standard = body_word_height(letters.letter_pdf(margaret_pack, large_print=False))
        large = body_word_height(letters.letter_pdf(margaret_pack, large_print=True))
        assert large >= standard * 16 / 12 * 0.95  # 16pt against 12pt

    def test_large_print_is_chosen_from_the_persons_information_needs(self, clinician, person, tmp_path):
        person.accessible_formats = ["large-print"]
        person.save()
        pack = do_make_pack(clinician, ready_cycle(clinician, person))
        assert "large-print" in letters.letter_html(pack)
        assert pdf_pages(letters.letter_pdf(pack), tmp_path) > pdf_pages(
            letters.letter_pdf(pack, large_print=False), tmp_path)


def test_a_batch_of_200_letters_is_one_pdf_with_every_page(clinician, practice, tmp_path):
    from ourplan.preparation.models import PreparationPack
    from tests import factories as f

    one = with_address(f.person(practice, "Alan", "Batch", "9990000018"))
    f.obs(one, "hba1c", "58", days_ago=300)
    f.obs(one, "hba1c", "55", days_ago=5)
    template = do_make_pack(clinician, ready_cycle(clinician, one))
    pages_each = pdf_pages(letters.letter_pdf(template), tmp_path)
    # 200 packs: one short letter's content for speed, each with its own name.
    packs = []
    for i in range(200):
        content = dict(template.content, person=dict(template.content["person"], name=f"Person {i}"))
        packs.append(PreparationPack(cycle=template.cycle, person=one, content=content))
    data, pages = letters.batch_pdf(packs)
    assert data.startswith(b"%PDF")
    assert pdf_pages(data, tmp_path) == pages == 200 * pages_each
    text = pdf_text(data, tmp_path, "-f", str(pages_each * 199 + 1), "-l", str(pages_each * 199 + 1))
    assert "Person 199" in text and "Page 1 of" in text  # each letter keeps its own page numbers


class TestTrendChart:
    def test_chart_is_svg_with_the_target_dashed_and_labelled(self):
        svg = str(line_chart([Point("Jan 2025", 71), Point("Jan 2026", 64)], title="Blood sugar", target=48,
                             unit="mmol/mol"))
        assert svg.startswith("<svg") and 'role="img"' in svg
        assert 'stroke-dasharray="5 3"' in svg and ">Target 48<" in svg
        assert ">71<" in svg and ">64<" in svg and ">Jan 2026<" in svg
        assert "71 in Jan 2025, 64 in Jan 2026" in svg  # the description for screen readers

    def test_blood_pressure_draws_both_numbers(self):
        svg = str(line_chart([Point("Jan 2025", 152, 88), Point("Jan 2026", 138, 84)], title="BP",
                             target=140, target2=90))
        assert ">138/84<" in svg and "<rect" in svg and ">Target 90<" in svg

    def test_text_in_a_chart_is_escaped(self):
        assert "<b>" not in str(line_chart([Point("<b>", 1)], title="<b>x</b>"))
