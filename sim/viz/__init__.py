"""The browser view: watch and steer a run in Mesa's SolaraViz (`sim viz [SCENARIO]`).

`sim.viz.app.Page` is the page (one model per browser session); `sim.viz.params` maps the page's
controls to a scenario and its overrides; `sim.viz.series` and `sim.viz.network_view` compute what
is drawn; `sim.viz.components` are the panels; `sim.viz.server` starts the server. Importing this
package does not import solara; the page's modules do.
"""
