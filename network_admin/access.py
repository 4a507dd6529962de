"""Access rules shared by every admin view: deny by default, then one permission per view."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from network_admin.services import permission_denied


def staff_permission_required(*permissions: str):
    """Admin pages are for staff with the named permissions; anyone else gets 403, recorded as an
    `auth.permission_denied` event.

    Anonymous visitors never get this far: LoginRequiredMiddleware sends them to log in. The
    view keeps the permissions in `required_permissions`, so tests can check every URL has some.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and user.is_staff and user.has_perms(permissions)):
                _refuse(request, permissions)
            return view(request, *args, **kwargs)

        wrapper.required_permissions = permissions
        return wrapper

    return decorator


def require_permission(request, permission: str) -> None:
    """Refuse the request unless the user has `permission`, as `staff_permission_required`
    does (403, recorded): for pages some roles may view but not change."""
    if not request.user.has_perm(permission):
        _refuse(request, [permission])


def _refuse(request, permissions) -> None:
    missing = [perm for perm in permissions if not request.user.has_perm(perm)]
    permission_denied(request=request, permissions=missing or list(permissions))
    raise PermissionDenied
