"""The validation checks at a reduced size: each passes, and each can fail when its premise is broken."""

from dataclasses import replace

import numpy as np
import pytest

import sim
from sim.engine.core import Engine
from sim.network import build_network
from sim.validation import CHECKS, firm_level, peer, peer_tables, record, theory, write_report
from sim.validation.settings import GLOVES, QUICK

pytest.importorskip("boario")


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_check_passes_at_reduced_size(check):
    result = check(QUICK)
    assert result.passed, f"{result.name}: {result.figures}"
    assert result.criterion and result.figure is not None and result.figures


def test_leontief_detects_a_broken_network():
    scenario, _ = theory.networks()[next(iter(theory.networks()))]
    network = build_network(scenario, np.random.default_rng(1))
    assert max(theory.leontief_errors(scenario, network).values()) < theory.IDENTITY_TOLERANCE
    network.link_flow[0] *= 1.01
    assert max(theory.leontief_errors(scenario, network).values()) > theory.IDENTITY_TOLERANCE


def test_stationarity_fails_under_a_shock():
    shocked = sim.load_scenario("tiny", overrides={"capacity_shocks": [
        {"cells": ["MY.chips"], "share": 0.2, "start_day": 5, "duration_days": 10}]})
    assert not theory.check_stationarity(QUICK, cases={"shocked": shocked}).passed


def test_armington_fails_when_only_half_the_tariff_reaches_buyers():
    small = replace(QUICK, armington_sigmas=(4.0,), armington_rates=(0.25,))
    assert not theory.check_armington(small, overrides={"engine.pass_through": 0.5}).passed


def test_ledger_check_catches_goods_out_of_nowhere(monkeypatch):
    step = Engine.step

    def leaky(self, policy):
        flows = step(self, policy)
        self.state.inventory[0] += 1e-3 * self.structure.slot_flow0[0]
        return flows

    monkeypatch.setattr(Engine, "step", leaky)
    result = theory.check_ledger(replace(QUICK, ledger_steps=5))
    assert not result.passed and result.figures["ledger violation"]


def test_boario_comparison_fails_where_the_order_rules_part():
    assert not peer.check_boario(QUICK, cases=(peer.STRESS_CASE,)).passed


def test_many_tables_fail_with_the_signed_gap_rule():
    """BoARIO reorders only a positive gap: our signed gap (excess stock cuts orders) breaks the agreement."""
    result = peer_tables.check_boario_tables(QUICK, order_rule="signed_gap")
    assert not result.passed and result.figures["cases failed"] >= 1


def test_heterogeneity_check_fails_when_buyers_are_alike():
    """No single-origin buyers and mixes pinned to the cell's: the heterogeneous draw is the homogeneous one in
    all but rounding, so replicates stop differing and the check fails."""
    alike = {f"sectors.{s}.{k}": v for s in ("materials", "chips", "electronics")
             for k, v in (("single_origin_share", 0.0), ("origin_concentration", 1e12))}
    result = firm_level.check_heterogeneity(QUICK, cases=firm_level.CASES[:1], overrides=alike)
    assert not result.passed and result.table["heterogeneous spread"].max() < firm_level.HETEROGENEOUS_SPREAD


def test_random_tables_balance():
    from sim.validation.tables import TABLES, random_mrio

    for spec in TABLES[:3]:
        io_system = random_mrio(spec)
        z, y, x = io_system.Z.to_numpy(), io_system.Y.to_numpy(), io_system.x.to_numpy().ravel()
        assert np.allclose(z.sum(axis=1) + y.sum(axis=1), x, rtol=1e-12)
        assert (x - z.sum(axis=0) > 0).all() and (z >= 0).all() and (z == 0).mean() > 0.1


def test_boario_stress_fails_when_the_run_ends_before_recovery():
    assert not peer.check_boario_stress(replace(QUICK, boario_steps=50)).passed


def test_same_shock_in_both_models():
    """The event timing maps to the same daily capacity path of the shocked industry in both models."""
    io_system = theory.pymrio_test_table()
    case = peer.SPEC_CASES[1]
    ours, theirs = peer.run_ours(io_system, case, 90), peer.run_boario(io_system, case, 90)
    assert np.max(np.abs(ours.capacity - theirs.capacity)) < peer.SHOCK_PATH_TOLERANCE
    assert ours.capacity.min() == pytest.approx(1 - case.share)


def test_pass_through_fails_with_partial_pass_through():
    assert not record.check_pass_through(QUICK, overrides={"engine.pass_through": 0.3}).passed


def test_diversion_2018_fails_without_substitution():
    sectors = sim.load_scenario(record.RECORD_SCENARIO).sector_names
    fixed = {f"sectors.{s}.armington_sigma": 0.0 for s in sectors}
    assert not record.check_diversion_2018(QUICK, overrides=fixed).passed


def test_diversion_2025_fails_when_gloves_cannot_switch_origin():
    assert not record.check_diversion_2025(QUICK, overrides={f"sectors.{GLOVES}.armington_sigma": 0.0}).passed


def test_magnets_fail_without_export_controls():
    assert not record.check_magnets(QUICK, overrides={"export_controls": []}).passed


def test_exports_2025_fail_without_the_2025_tariffs():
    check = record.check_exports_2025(QUICK, overrides={"tariffs.applied": []})
    assert not check.passed and check.figures["China: mean absolute error (points, worst seed)"] > 15


def test_report_and_command(tmp_path):
    results = [theory.check_leontief(QUICK), record.check_magnets(QUICK)]
    page = write_report(results, tmp_path, quick=True)
    text = page.read_text()
    assert "2 of 2 checks pass" in text and "Criterion:" in text
    assert (tmp_path / "figures" / "validation_theory_leontief.png").stat().st_size > 1000
    assert "China customs" in text  # the reported figure names its source


def test_validate_subcommand_is_wired():
    from sim.cli import _parser
    from sim.validation.command import cmd_validate

    args = _parser().parse_args(["validate", "--quick", "--out", "somewhere"])
    assert args.handler is cmd_validate and args.quick and str(args.out) == "somewhere"
