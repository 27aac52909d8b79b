from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("grafik/kumulatif.svg", views.chart_cumulative, name="chart_cumulative"),
    path("grafik/wilayah.svg", views.chart_breakdown, name="chart_breakdown"),
    path("laporan/", views.report, name="report"),
    path("laporan.pdf", views.report_pdf, name="report_pdf"),
]
