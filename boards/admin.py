from django.contrib import admin

from .models import Attachment, Category, Post, Thread


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "order",
        "starters",
        "thread_count",
        "last_activity_at",
    ]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["thread_count", "post_count", "last_activity_at"]

    def has_delete_permission(self, request, obj=None):
        # Threads keep their category; empty a category before removing it.
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.thread_count == 0
        )


class PostInline(admin.TabularInline):
    model = Post
    fields = ["position", "author", "created_at", "edited_at", "is_deleted"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "category",
        "organisation",
        "reply_count",
        "last_activity_at",
        "is_pinned",
        "is_locked",
        "is_hidden",
    ]
    list_filter = ["category", "is_pinned", "is_locked", "is_hidden"]
    search_fields = ["title", "organisation__name"]
    list_select_related = ["category", "organisation__prefecture"]
    date_hierarchy = "created_at"
    fields = [
        "title",
        "category",
        "author",
        "organisation",
        "created_at",
        "last_activity_at",
        "reply_count",
        "is_pinned",
        "is_locked",
        "is_hidden",
    ]
    readonly_fields = [
        "title",
        "category",
        "author",
        "organisation",
        "created_at",
        "last_activity_at",
        "reply_count",
    ]
    inlines = [PostInline]

    def has_add_permission(self, request):
        # Threads are started on the board, where files and counts are handled.
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fields = ["original_name", "kind", "content_type", "size", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "organisation", "created_at", "is_deleted"]
    list_filter = ["is_deleted", "thread__category"]
    search_fields = ["body", "thread__title", "author__display_name"]
    list_select_related = ["thread", "author", "organisation__prefecture"]
    fields = [
        "thread",
        "position",
        "author",
        "organisation",
        "created_at",
        "edited_at",
        "is_deleted",
        "body",
    ]
    readonly_fields = fields
    inlines = [AttachmentInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "size", "post", "created_at"]
    list_filter = ["kind"]
    search_fields = ["original_name"]
    list_select_related = ["post__thread"]
    readonly_fields = [
        "post",
        "original_name",
        "kind",
        "content_type",
        "size",
        "width",
        "height",
        "created_at",
    ]
    exclude = ["file", "thumbnail"]

    def has_add_permission(self, request):
        return False
