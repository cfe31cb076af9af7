"""The quick-start notebook (examples/quickstart.ipynb) runs from top to bottom in a real Jupyter kernel, and
what it shows is there: the summary table, the event log, the figures and the sweep's runs."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb"


def test_the_quick_start_notebook_runs_and_shows_its_results(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                   ).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    errors = [output for output in outputs if output.output_type == "error"]
    assert not errors, errors
    text = "".join(output.get("text", "") for output in outputs)
    assert "Scenario tiny_trade_war" in text and "Policy events (" in text
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) == 4
    tables = [output["data"]["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert any("peak_loss_pct" in table for table in tables) and any("switching_days" in table for table in tables)
    assert (tmp_path / "results" / "quickstart" / "sweep" / "manifest.json").is_file()
