// Sets a date, time, colour or range input as a script would (typing into those is
// locale-dependent in Chromium), firing the events a user's change fires.
// arguments: [element, value]. Returns the value the input kept ("" when it refused it).
const [input, value] = arguments;
const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
setter.call(input, value);
input.dispatchEvent(new Event('input', { bubbles: true }));
input.dispatchEvent(new Event('change', { bubbles: true }));
return input.value;
