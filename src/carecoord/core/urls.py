from django.urls import path

from . import security_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("account/login/", views.login_view, name="login"),
    path("account/logout/", views.logout_view, name="logout"),
    path("account/verify/", views.verify_otp, name="verify_otp"),
    path("account/two-factor/", views.setup_otp, name="setup_otp"),
    path("account/organization/", views.switch_organization, name="switch_organization"),
    path("account/security/", security_views.account_security, name="account_security"),
    path("settings/members/add/", views.member_add_view, name="member_add"),
    path("settings/members/<uuid:public_id>/", security_views.member_update, name="member_update"),
    path("break-glass/", security_views.break_glass, name="break_glass"),
    path("audit/break-glass/", security_views.break_glass_reviews, name="break_glass_reviews"),
    path("settings/organization/", views.organization_settings, name="organization_settings"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
