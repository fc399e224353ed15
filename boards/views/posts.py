from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, TemplateView

from members.common.views import ServiceFormView

from .. import permissions, selectors
from ..forms import PostEditForm, ReplyDraftForm, ReplyForm
from ..models import Post
from ..services import drafts, posts
from .drafts import DraftSaveMixin, draft_form_context
from .threads import page_of


def post_url(post):
    """The thread page showing a post, scrolled to it."""
    url = reverse("boards:thread", args=[post.thread_id])
    return f"{url}?page={page_of(post.position)}#post-{post.position}"


def post_permalink(request, pk):
    """A stable address for a post, whatever page it ends up on."""
    post = permissions.access_post(request.user, pk)
    return redirect(post_url(post))


def quote_markdown(post):
    """The Markdown that quotes a post in a reply."""
    lines = post.body.strip().splitlines() or [""]
    heading = _("%(author)s wrote (#%(number)s):") % {
        "author": post.author.signature,
        "number": post.position,
    }
    return "\n".join([f"> {heading}", ">", *(f"> {line}" for line in lines), "", ""])


class ReplyView(DraftSaveMixin, ServiceFormView):
    """Write a reply; ?quote=<post id> starts it with that post quoted.

    The person's saved draft of a reply to the thread fills the form.
    """

    form_class = ReplyForm
    template_name = "boards/reply_form.html"
    success_message = gettext_lazy("Your reply has been posted.")

    def dispatch(self, request, *args, **kwargs):
        self.thread = permissions.access_thread(
            request.user, kwargs["pk"], for_reply=True
        )
        self.draft = selectors.reply_draft(request.user, self.thread)
        return super().dispatch(request, *args, **kwargs)

    def quoted_post(self, value):
        try:
            return (
                Post.objects.select_related("author__organisation__prefecture")
                .filter(thread=self.thread, is_deleted=False, is_hidden=False)
                .get(pk=int(value))
            )
        except (TypeError, ValueError, Post.DoesNotExist):
            return None

    def get_form_class(self):
        return ReplyDraftForm if self.saving_draft() else ReplyForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "draft": self.draft}

    def get_initial(self):
        quoted = self.quoted_post(self.request.GET.get("quote"))
        if quoted is not None:
            return {"body": quote_markdown(quoted), "quoted": quoted.pk}
        if self.draft is not None:
            return {"body": self.draft.body, "quoted": self.draft.quoted_id}
        return {}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            thread=self.thread, **draft_form_context(self.draft), **kwargs
        )

    def post(self, request, *args, **kwargs):
        if self.saving_draft():
            return self.save_draft(self.get_form())
        return super().post(request, *args, **kwargs)

    def store_draft(self, form):
        data = form.cleaned_data
        return drafts.draft_save(
            user=self.request.user,
            thread=self.thread,
            body=data["body"],
            quoted=self.quoted_post(data["quoted"]),
            uploads=data["attachments"],
            remove=data.get("remove_files") or (),
        )

    def act(self, form):
        data = form.cleaned_data
        # The draft goes with the posting, or stays if it fails.
        with transaction.atomic():
            post = posts.post_reply(
                thread=self.thread,
                author=self.request.user,
                body=data["body"],
                quoted=self.quoted_post(data["quoted"]),
                uploads=[
                    *drafts.draft_file_uploads(form.kept_files()),
                    *data["attachments"],
                ],
            )
            if self.draft is not None:
                drafts.draft_delete(draft=self.draft, actor=self.request.user)
        return post_url(post)


class OwnPostMixin:
    """Edit and delete pages: only for whoever may edit the post."""

    def get_post(self):
        return permissions.access_post(
            self.request.user, self.kwargs["pk"], for_edit=True
        )


class PostEditView(OwnPostMixin, ServiceFormView):
    form_class = PostEditForm
    template_name = "boards/post_form.html"
    success_message = gettext_lazy("Your post has been updated.")

    def dispatch(self, request, *args, **kwargs):
        self.post_object = self.get_post()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "post": self.post_object}

    def get_context_data(self, **kwargs):
        return super().get_context_data(post=self.post_object, **kwargs)

    def act(self, form):
        data = form.cleaned_data
        posts.post_edit(
            post=self.post_object,
            actor=self.request.user,
            body=data["body"],
            title=data.get("title"),
            uploads=data["attachments"],
        )
        return post_url(self.post_object)


class PostDeleteView(OwnPostMixin, TemplateView):
    template_name = "boards/post_confirm_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(post=self.get_post(), **kwargs)

    def post(self, request, *args, **kwargs):
        post = self.get_post()
        posts.post_delete(post=post, actor=request.user)
        messages.success(request, _("Your post has been deleted."))
        return redirect(post_url(post))


class PostHistoryView(DetailView):
    """Earlier versions of an edited post."""

    template_name = "boards/post_history.html"
    context_object_name = "post"

    def get_object(self, queryset=None):
        return permissions.access_post(
            self.request.user, self.kwargs["pk"], for_revisions=True
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(revisions=self.object.revisions.all(), **kwargs)
