"""{% shared_fragment %}: a part of a page rendered once and shared between
readers (members/common/fragments.py)."""

from django import template

from ..common import fragments

register = template.Library()


class SharedFragmentNode(template.Node):
    def __init__(self, name, values, condition, nodelist):
        self.name = name
        self.values = values
        self.condition = condition
        self.nodelist = nodelist

    def render(self, context):
        if self.condition is not None and not self.condition.resolve(context):
            return self.nodelist.render(context)
        key = (
            *fragments.locale_key(),
            self.name,
            *(value.resolve(context) for value in self.values),
        )
        return fragments.pieces.get_or_render(
            key, lambda: self.nodelist.render(context)
        )


@register.tag
def shared_fragment(parser, token):
    """{% shared_fragment "name" value ... [if condition] %} ...
    {% endshared_fragment %}

    The enclosed part of a page, rendered once per language and values and
    shared between readers (members/common/fragments.py): for parts that show only
    those values, such as a form's empty fields or a thread's page links.
    With `if`, shared only while the condition holds and otherwise rendered
    afresh (a form with the reader's own draft or errors in it). Never for
    anything with a CSRF token.
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(
            'shared_fragment needs a name: {% shared_fragment "name" ... %}'
        )
    name = bits[1].strip("\"'")
    values = bits[2:]
    condition = None
    if len(values) >= 2 and values[-2] == "if":
        condition = parser.compile_filter(values[-1])
        values = values[:-2]
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return SharedFragmentNode(
        name, [parser.compile_filter(value) for value in values], condition, nodelist
    )
